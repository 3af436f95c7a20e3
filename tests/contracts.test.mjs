// Contracts between Rust, the package and the page, checked without a browser: every error name
// the Rust binding or the package can raise is in pkg/errors.js's ERROR_NAMES, which is exactly
// index.d.ts's JointscopeErrorName, and the page explains each one; the operations the package
// asks of its worker are exactly those the worker has; the package's JavaScript type-checks against
// the worker protocol (pkg/protocol.d.ts) and the declarations generated from the Rust binding
// (the built bundles' jointscope_wasm.d.ts: scripts/build-web.sh, which the test command runs first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_NAMES } from "../pkg/errors.js";
import { EXPLANATIONS, explain } from "../web/explain.js";

const ROOT = join(import.meta.dirname, "..");
const read = (path) => readFileSync(join(ROOT, path), "utf8");
const sorted = (xs) => [...new Set(xs)].sort();

test("every error name the Rust binding gives is listed", () => {
  const binding = read("crates/wasm/src/binding.rs");
  const names = sorted([...binding.matchAll(/"([A-Z][A-Za-z]*Error)"/g)].map((m) => m[1]));
  assert.ok(names.length >= 6, `${names}`);
  assert.deepEqual(names.filter((n) => !ERROR_NAMES.includes(n)), []);
});

test("every error name the package raises is listed, and every listed name is raised somewhere", () => {
  const js = ["pkg/engine.js", "pkg/worker.js", "pkg/index.js"].map(read).join("\n");
  const raised = [...js.matchAll(/(?:typedError|#die)\("([A-Z][A-Za-z]*Error)"/g)].map((m) => m[1]);
  const fromRust = [...read("crates/wasm/src/binding.rs").matchAll(/"([A-Z][A-Za-z]*Error)"/g)].map((m) => m[1]);
  assert.deepEqual(raised.filter((n) => !ERROR_NAMES.includes(n)), []);
  assert.deepEqual(ERROR_NAMES.filter((n) => !raised.includes(n) && !fromRust.includes(n)), []);
});

test("the TypeScript error name type is exactly the list", () => {
  const dts = read("pkg/index.d.ts");
  const union = dts.match(/export type JointscopeErrorName =([^;]*);/)[1];
  assert.deepEqual(sorted([...union.matchAll(/"([A-Za-z]+)"/g)].map((m) => m[1])), sorted(ERROR_NAMES));
});

test("the page explains every error name, and nothing else", () => {
  assert.deepEqual(sorted(Object.keys(EXPLANATIONS)), sorted(ERROR_NAMES));
  for (const name of ERROR_NAMES) {
    const said = explain({ name, message: "the reason" });
    assert.match(said, /the reason/, name);
    assert.doesNotMatch(said, /^Something went wrong/, name);
  }
});

test("the package's README names every error name", () => {
  const readme = read("pkg/README.md");
  assert.deepEqual(ERROR_NAMES.filter((n) => !readme.includes(`\`${n}\``)), []);
});

test("the package asks its worker only for operations the worker has, and uses every one", () => {
  const worker = read("pkg/worker.js");
  const body = worker.slice(worker.indexOf("const ops = {"), worker.indexOf("\n};", worker.indexOf("const ops = {")));
  const has = sorted([...body.matchAll(/^ {2}async (\w+)\(/gm)].map((m) => m[1]));
  const asked = sorted([...read("pkg/index.js").matchAll(/client\.call\("(\w+)"/g)].map((m) => m[1]));
  assert.ok(has.length >= 5, `${has}`);
  assert.deepEqual(asked, has);
});

function tsc(file, ...strictness) {
  for (const bundle of ["cpu", "webgpu"]) {
    const dts = join(ROOT, "pkg", "wasm", bundle, "jointscope_wasm.d.ts");
    assert.ok(existsSync(dts), `${dts} is missing: build the bundles first (bash scripts/build-web.sh)`);
  }
  const compiler = join(ROOT, "tests", "node_modules", "typescript", "bin", "tsc");
  const flags = ["--noEmit", "--allowJs", "--checkJs", ...strictness, "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "esnext,dom", "--skipLibCheck"];
  try {
    execFileSync(process.execPath, [compiler, ...flags, join(ROOT, "pkg", file)], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc on pkg/${file}: ${e.stdout}${e.stderr}`);
  }
}

test("the worker and the engine type-check (strict) against the protocol and the binding's generated declarations", () => {
  tsc("worker.js", "--strict");
});

test("the package's calls to its worker type-check against the protocol", () => {
  tsc("index.js", "--strictNullChecks");
});
