// ESLint for the project's JavaScript (scripts/test.sh runs it from the repository root):
// the page (web/), the npm package (pkg/) and these tests, with ESLint's recommended rules.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["pkg/wasm/**", "pkg/models/**", "**/node_modules/**", "dist/**", "web/pkg/**", "bench/**", "fuzz/**", "target/**"] },
  js.configs.recommended,
  // Leaving fields out by destructuring ({ id, ...rest }) is how the code drops them.
  { rules: { "no-unused-vars": ["error", { ignoreRestSiblings: true }] } },
  // scripts/stamp-sw.sh replaces the service worker's placeholders when the page is built.
  { files: ["web/sw.js"], languageOptions: { globals: { __FILES__: "readonly" } } },
  {
    files: ["web/**/*.js", "pkg/**/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: { ...globals.browser, ...globals.worker } },
  },
  {
    files: ["tests/**/*.mjs"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: { ...globals.node, ...globals.browser } },
  },
];
