// `npm test`: prepare the shared fixtures once (fixtures.mjs), then run every browser test file
// against them with node's test runner, one file at a time; the fixtures are removed afterwards.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { prepare } from "./fixtures.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2).length ? process.argv.slice(2) : ["contracts.test.mjs", "page.test.mjs", "collect.test.mjs", "package.test.mjs", "service-worker.test.mjs", "faults.test.mjs"];
const dir = mkdtempSync(join(tmpdir(), "jointscope-e2e-"));
let status;
try {
  prepare(dir);
  const run = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--test-timeout=600000", ...files], {
    cwd: here,
    stdio: "inherit",
    env: { ...process.env, JOINTSCOPE_E2E_FIXTURES: dir },
  });
  status = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
