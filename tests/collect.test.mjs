// Collection mode (dist/web/collect.html) in real headless Chromium: five visits put together as a
// clinician would (patient code, date, both hands' photos, joints marked in the table and on the
// diagram), exported as a ZIP that Python's zipfile reads and the native trainer validates and
// trains on unchanged; the export imported back (duplicates skipped, a broken file refused);
// layout at 768 and 360 px; accessibility.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT, BIN, SHOTS, Session, fixtures, csv } from "./fixtures.mjs";

let fx, session;
before(async () => {
  fx = fixtures();
  session = await Session.start(fx);
});
after(() => session?.close());

/** The demo's photos of patient `n` (1-based): [left, right]. */
const photos = (n) => ["L", "R"].map((s) => join(fx.tmp, "demo", "data", "images", `p000${n}_${s}.jpg`));

/** Put one visit together in the form and save it; `swollen`: [side, joint] pairs marked swollen. */
async function addVisit(page, code, [left, right], swollen) {
  await page.fill("#patient", code);
  await page.fill("#date", "2026-12-01");
  for (const [side, file] of [["left", left], ["right", right]]) {
    await page.setInputFiles(`#${side}-file`, file);
    await page.waitForFunction((s) => !/^(Looking|No photo yet)/.test(document.getElementById(`${s}-state`).textContent) && !document.body.dataset.busy, side, { timeout: 120_000 });
  }
  for (const [side, joint] of swollen) {
    await page.selectOption(`table[data-hand="${side}"] tr[data-joint="${joint}"] select[data-finding="swelling"]`, "yes");
  }
  await page.click('[data-rest="left"]');
  await page.click('[data-rest="right"]');
  await page.click("#save");
  await page.waitForFunction((c) => document.getElementById("status").textContent.startsWith(`Visit of ${c} on 2026-12-01 kept`), code);
}

/** The visits stored in the page's IndexedDB: [id, patient] pairs. */
const stored = (page) => page.evaluate(async () => (await (await import("/collection.js")).visits()).map((v) => [v.id, v.patient]));

test("five visits export as a ZIP the trainer validates and trains on unchanged, and import back once", async () => {
  const context = await session.browser.newContext({ viewport: { width: 768, height: 1024 } });
  const { page } = await session.openPage(`${session.origin}/collect.html?backend=cpu`, context);
  page.on("dialog", (d) => d.accept());
  // The first visit: the right wrist stepped through the diagram to "not evaluable", the left MCP2 also tender.
  await page.fill("#patient", "c01");
  for (let k = 0; k < 3; k++) await page.click('#exam-diagram circle[data-hand="right"][data-joint="WRIST"]');
  assert.equal(await page.inputValue('table[data-hand="right"] tr[data-joint="WRIST"] select[data-finding="swelling"]'), "not evaluable");
  await page.selectOption('table[data-hand="left"] tr[data-joint="MCP2"] select[data-finding="tenderness"]', "yes");
  await addVisit(page, "c01", photos(1), [["left", "MCP2"], ["right", "PIP3"]]);
  mkdirSync(SHOTS, { recursive: true });
  for (let n = 2; n <= 5; n++) {
    if (n === 5) {
      // The form with both photos and a marked diagram, for the docs.
      await page.fill("#patient", "c05");
      await page.setInputFiles("#left-file", photos(5)[0]);
      await page.waitForFunction(() => /capture check|No hand/.test(document.getElementById("left-state").textContent));
      await page.selectOption('table[data-hand="left"] tr[data-joint="PIP2"] select[data-finding="swelling"]', "yes");
      await page.screenshot({ path: join(SHOTS, "collection-768px.png"), fullPage: true });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 768, `collection mode is ${width} px wide on a 768 px tablet`);
    }
    await addVisit(page, `c0${n}`, photos(n), [["left", n === 5 ? "PIP2" : "MCP3"], ["right", "MCP1"]]);
  }
  assert.equal((await stored(page)).length, 5);
  assert.match(await page.textContent("#summary"), /^5 visits of 5 patients, 10 photos: 10 joints swollen, 99 not swollen, the others without a label\.$/);

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  const file = join(fx.scratch, "collection.zip");
  await download.saveAs(file);
  // Python's zipfile checks every entry's CRC-32 as it extracts.
  const out = join(fx.scratch, "collection");
  execFileSync("python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", file, out]);
  const rows = csv(join(out, "manifest.csv"));
  assert.equal(rows.length, 5 * 2 * 11);
  const row = (patient, hand, joint) => rows.find((r) => r.patient_id === patient && r.hand === hand && r.joint === joint);
  assert.deepEqual([["L", "MCP2"], ["R", "PIP3"], ["R", "WRIST"], ["L", "MCP1"]].map(([h, j]) => row("c01", h, j).label), ["1", "1", "unknown", "0"]);
  assert.ok(rows.filter((r) => r.x !== "").length >= 88, "most photos have positions from their landmarks");
  const visits = JSON.parse(readFileSync(join(out, "visits.json"), "utf8"));
  assert.equal(visits.label, "swelling");
  assert.equal(visits.visits.find((v) => v.patient === "c01").joints.left.MCP2.tenderness, "yes");
  for (const r of rows) assert.ok(existsSync(join(out, r.image)), r.image);

  // The native trainer takes the export as it is.
  execFileSync(BIN, ["validate", join(out, "manifest.csv")], { stdio: "pipe" });
  const run = join(fx.scratch, "collection-run");
  execFileSync(BIN, ["train", "--manifest", join(out, "manifest.csv"), "--run", run, "--arch", "local", "--local-size", "64", "--global-size", "64",
    "--width", "8", "--epochs", "1", "--backend", "flex", "--quiet"], { stdio: "pipe" });
  assert.ok(existsSync(join(run, "model.json")) && existsSync(join(run, "model.bpk")));

  // Import: into an empty collection all five come back; again, none; a cut-off file changes nothing.
  const before = await stored(page);
  await page.evaluate(async () => {
    const c = await import("/collection.js");
    for (const v of await c.visits()) await c.remove(v.id);
  });
  await page.setInputFiles("#import", file);
  await page.waitForFunction(() => /^Imported 5 visits from collection\.zip\.$/.test(document.getElementById("status").textContent));
  assert.deepEqual((await stored(page)).sort(), before.sort());
  await page.setInputFiles("#import", file);
  await page.waitForFunction(() => /^Imported 0 visits from collection\.zip \(5 already here\)\.$/.test(document.getElementById("status").textContent));
  const bytes = readFileSync(file);
  writeFileSync(join(fx.scratch, "cut.zip"), bytes.subarray(0, bytes.length - 1000));
  await page.setInputFiles("#import", join(fx.scratch, "cut.zip"));
  await page.waitForFunction(() => /^cut\.zip could not be imported: .*\. Nothing was changed\.$/.test(document.getElementById("status").textContent));
  assert.equal((await stored(page)).length, 5);
  await context.close();
});

test("an export whose photo is damaged is refused whole, naming the photo", async () => {
  const { page, context } = await session.openPage(`${session.origin}/collect.html?backend=cpu`);
  const r = await page.evaluate(async () => {
    const c = await import("/collection.js");
    const { zip } = await import("/zip.js");
    const enc = new TextEncoder();
    const good = await c.readExport(new Uint8Array(await (await c.exportZip([])).arrayBuffer()).slice()).then(() => "", (e) => e.message);
    // An archive whose visits.json names a photo it does not hold.
    const visit = { id: "0123456789abcdef", patient: "x1", date: "2026-01-02", created: "2026-01-02T10:00:00Z", joints: c.blankJoints(),
      hands: { left: { image: "images/x1_L.jpg", type: "image/jpeg", width: 100, height: 80, positions: null, landmarks: null, checkPassed: false } } };
    const doc = { format: c.FORMAT, version: c.VERSION, visits: [visit] };
    const bytes = new Uint8Array(await zip([{ name: "visits.json", bytes: enc.encode(JSON.stringify(doc)) }]).arrayBuffer());
    const missing = await c.readExport(bytes).then(() => "", (e) => e.message);
    return { good, missing };
  });
  await context.close();
  assert.equal(r.good, "");
  assert.equal(r.missing, "visit 1: its left photo images/x1_L.jpg is missing");
});

test("collection mode at 360 px has no horizontal scroll and an axe-core scan finds no serious violation", async () => {
  const context = await session.browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, bypassCSP: true });
  const { page } = await session.openPage(`${session.origin}/collect.html?backend=cpu`, context);
  await page.fill("#patient", "c09");
  await page.setInputFiles("#left-file", photos(1)[0]);
  await page.waitForFunction(() => /capture check|No hand/.test(document.getElementById("left-state").textContent));
  await page.selectOption('table[data-hand="left"] tr[data-joint="MCP2"] select[data-finding="swelling"]', "yes");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.screenshot({ path: join(SHOTS, "collection-360px.png"), fullPage: true });
  assert.ok(width <= 360, `collection mode is ${width} px wide`);
  // The scanner is injected as a script: allowed past the page's CSP for this test only.
  await page.addScriptTag({ path: join(ROOT, "tests", "node_modules", "axe-core", "axe.min.js") });
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })));
  session.timings.push(`axe-core, collection mode: ${violations.length} violations (${violations.map((v) => `${v.id}/${v.impact}`).join(", ") || "none"})`);
  assert.deepEqual(violations.filter((v) => v.impact === "serious" || v.impact === "critical"), []);
  await context.close();
});

test("no request leaves the page's origin and none carries a body", () => {
  session.assertPrivate();
});
