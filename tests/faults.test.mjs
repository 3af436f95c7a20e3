// Faults where patients run the page (headless Chromium): storage refused (private mode) or full,
// a damaged stored check, the detector's worker killed under a photo, a new version of the page
// arriving while a check is open, and two tabs keeping checks at once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session, fixtures, upload, variant, stamp } from "./fixtures.mjs";

let fx, session;
before(async () => {
  fx = fixtures();
  session = await Session.start(fx);
});
after(() => session?.close());

const text = (page, selector) => page.textContent(selector);
const historyLength = (page, n) => page.waitForFunction((n) => document.querySelectorAll("#history-list li").length === n, n);
const statusMatches = (page, re) => page.waitForFunction((source) => new RegExp(source).test(document.getElementById("status").textContent), re.source);

/** A context whose pages record every Web Worker they start in `globalThis.__workers` (so a test can kill one). */
async function watchedWorkers() {
  const context = await session.browser.newContext();
  await context.addInitScript(() => {
    const Native = globalThis.Worker;
    globalThis.__workers = [];
    globalThis.Worker = class extends Native {
      constructor(...args) {
        super(...args);
        globalThis.__workers.push(this);
      }
    };
  });
  return context;
}

test("with storage refused (private mode) a photo is still judged, and the page says no check is kept", async () => {
  const context = await session.browser.newContext();
  // What a browser that blocks storage does: opening the database throws.
  await context.addInitScript(() => {
    const refused = { open() { throw new DOMException("access to the Indexed Database API is denied in this context", "SecurityError"); } };
    Object.defineProperty(globalThis, "indexedDB", { configurable: true, get: () => refused });
  });
  const { page } = await session.openPage(`${session.origin}/?backend=cpu`, context);
  await page.waitForFunction(() => !document.getElementById("history-note").hidden);
  assert.match(await text(page, "#history-note"), /does not let the page store checks \(private mode\?\): each check works, but none is kept/);
  const { result } = await upload(page, fx.handPhoto);
  assert.equal(result.hands, 1, JSON.stringify(result));
  await page.click("#save");
  await statusMatches(page, /could not be kept/);
  assert.match(await text(page, "#status"), /does not let the page store it .*It stays open here until then\.$/);
  // The check is still open: its hand is on the diagram and it can be kept later.
  assert.match(await text(page, "#check-summary"), /^\d+ of 11 joints flagged\./);
  assert.equal(await page.locator("#save").isVisible(), true);
  await context.close();
});

test("with the storage full a check is refused with what to do, stays open, and is kept once there is room", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  // The service worker's cache filled first, so the quota below is what the page already uses.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    for (let i = 0; i < 100 && (await caches.keys()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  });
  await upload(page, fx.handPhoto);
  const cdp = await context.newCDPSession(page);
  const { usage } = await page.evaluate(() => navigator.storage.estimate());
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: session.origin, quotaSize: usage });
  await page.click("#save");
  await statusMatches(page, /could not be kept/);
  assert.match(await text(page, "#status"), /storage for the page is full\. Delete older checks .* It stays open here until then\.$/);
  assert.equal(await page.locator("#history-list li").count(), 0);
  assert.match(await text(page, "#check-summary"), /^\d+ of 11 joints flagged\./);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: session.origin });
  await page.click("#save");
  await historyLength(page, 1);
  await context.close();
});

test("a history import that fails at its second check stores none of them, as the page says", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  // The store refuses the second check written (as a full disk would, mid-import).
  await page.evaluate(() => {
    const add = IDBObjectStore.prototype.add;
    let n = 0;
    IDBObjectStore.prototype.add = function (...args) {
      if (++n === 2) throw new DOMException("the disk is full (simulated)", "QuotaExceededError");
      return add.apply(this, args);
    };
  });
  await page.setInputFiles("#history-import", fx.historyFile);
  await statusMatches(page, /could not be imported: .*\. Nothing was changed\.$/);
  assert.equal(await page.evaluate(async () => (await (await import("/history.js")).all()).length), 0);
  assert.equal(await page.locator("#history-list li").count(), 0);
  await context.close();
});

test("a damaged stored check is skipped and reported, and the others load", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  await page.setInputFiles("#history-import", fx.historyFile);
  await historyLength(page, 2);
  // Two entries no page version wrote: hands that are not a list, a probability of 7.
  await page.evaluate(async () => {
    const { objectStore } = await import("/idb.js");
    const tx = objectStore("jointscope", "results", { keyPath: "id", autoIncrement: true });
    await tx("readwrite", (s) => s.add({ date: "yesterday", hands: "left" }));
    await tx("readwrite", (s) => s.add({ date: "2026-11-15T09:00:00.000Z", hands: [{ handedness: "left", joints: [{ name: "MCP2", probability: 7 }] }] }));
  });
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready);
  await historyLength(page, 2);
  assert.equal(await text(page, "#history-note"), "2 stored checks are damaged and could not be read: not shown.");
  assert.equal(await page.locator('#trend svg.spark[data-points="2"]').count(), 11);
  // Nothing was deleted: the damaged entries are still stored.
  assert.equal(await page.evaluate(async () => (await (await import("/history.js")).all()).length), 4);
  await page.click("#summary-open");
  await page.waitForSelector("#summary:not([hidden]) #summary-body svg.diagram"); // drawn after the stored checks are read
  assert.match(await text(page, "#summary-body"), / 2 checks from /);
  await context.close();
});

test("the package replaces a worker killed under a photo with a fresh one on the CPU and answers the photo", async () => {
  const context = await watchedWorkers();
  const { page } = await session.openPage(`${session.origin}/?backend=cpu&worker=0`, context);
  const r = await page.evaluate(async (bytes) => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu", answerTimeoutMs: 5000 });
    const reasons = [];
    d.addEventListener("restart", (e) => reasons.push(e.detail.reason));
    const photo = () => new Blob([new Uint8Array(bytes)]);
    const plain = await d.detect(photo());
    const pending = d.detect(photo());
    // Killed 100 ms into the call (a terminated worker answers nothing, whatever it was doing).
    await new Promise((r) => setTimeout(r, 100));
    globalThis.__workers[0].terminate();
    const after = await pending;
    const view = (x) => x.hands.map((h) => h.joints.map((j) => j.probability));
    const out = { plain: view(plain), after: view(after), reasons, restarts: d.restarts, backend: d.backend, workers: globalThis.__workers.length, fallbackReason: d.fallbackReason };
    d.close();
    return out;
  }, [...readFileSync(fx.handPhoto)]);
  await context.close();
  assert.deepEqual(r.after, r.plain);
  assert.equal(r.restarts, 1);
  assert.equal(r.workers, 2);
  assert.equal(r.backend, "cpu");
  assert.equal(r.reasons.length, 1);
  assert.match(r.reasons[0], /^the detector on the CPU failed \(WorkerError: the detector stopped answering \(nothing within 5 s\)\); it was restarted on the CPU$/);
  assert.equal(r.fallbackReason, r.reasons[0]);
});

test("the page recovers from its detector's worker killed under a photo, and says so", async () => {
  const context = await watchedWorkers();
  const { page } = await session.openPage(`${session.origin}/?backend=cpu&answer-timeout=5000`, context);
  const first = await upload(page, fx.handPhoto);
  await page.evaluate(() => delete document.body.dataset.result);
  await page.setInputFiles("#file", fx.handPhoto);
  await page.waitForFunction(() => document.body.dataset.busy);
  await page.evaluate(() => globalThis.__workers[0].terminate());
  await page.waitForFunction(() => document.body.dataset.result && !document.body.dataset.busy, null, { timeout: 120_000 });
  // The same finding as before the kill (all but its time).
  const { ms, ...again } = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  assert.deepEqual({ ...again, ms: first.result.ms }, first.result);
  assert.equal(await page.evaluate(() => document.body.dataset.restarts), "1");
  assert.equal(await text(page, "#backend"), "the CPU (WebAssembly), restarted after the detector stopped");
  assert.equal(await page.evaluate(() => globalThis.__workers.length), 2);
  await context.close();
});

test("the page recovers from its WebGPU device lost between two photos, on a fresh worker on the CPU", async () => {
  // Each detector worker starts through a shim that keeps its GPU device and destroys it on the
  // message "lose-device" (the CSP, which allows no blob: worker, is bypassed for the shim only).
  const context = await session.browser.newContext({ bypassCSP: true });
  await context.addInitScript(() => {
    const Native = globalThis.Worker;
    globalThis.__loseDevice = [];
    globalThis.Worker = class extends Native {
      constructor(url, options) {
        const real = new URL(url, location.href).href;
        const shim = `const request = GPUAdapter.prototype.requestDevice;
GPUAdapter.prototype.requestDevice = async function (...args) {
  const device = await request.apply(this, args);
  self.addEventListener("message", (e) => { if (e.data === "lose-device") device.destroy(); });
  return device;
};
const early = [];
self.onmessage = (e) => early.push(e);
await import(${JSON.stringify(real)});
for (const e of early) self.onmessage(e); // what arrived while the detector's worker was loading`;
        super(URL.createObjectURL(new Blob([shim], { type: "text/javascript" })), options);
        globalThis.__loseDevice.push(() => this.postMessage("lose-device"));
      }
    };
  });
  const { page } = await session.openPage(`${session.origin}/?backend=webgpu&answer-timeout=120000`, context);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "webgpu");
  const first = await upload(page, fx.handPhoto);
  await page.evaluate(() => globalThis.__loseDevice[0]());
  const { result } = await upload(page, fx.handPhoto);
  const { ms, ...again } = result;
  assert.deepEqual({ ...again, ms: first.result.ms }, first.result);
  assert.equal(await page.evaluate(() => document.body.dataset.restarts), "1");
  assert.equal(await text(page, "#backend"), "the CPU (WebAssembly), restarted after the detector stopped");
  await context.close();
});

test("a new version of the page arriving while a check is open loads only once the check is kept", async () => {
  const dir = variant(fx.site, join(fx.scratch, "update-site"), () => {});
  const origin = await session.serve(dir);
  const { page, context } = await session.openPage(`${origin}/?backend=cpu`);
  await page.evaluate(() => navigator.serviceWorker.ready);
  // A returning visit: the service worker is in charge of the page.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready && navigator.serviceWorker.controller);
  await upload(page, fx.handPhoto);
  const html = readFileSync(join(dir, "index.html"), "utf8");
  writeFileSync(join(dir, "index.html"), html.replace("<h1>jointscope</h1>", '<h1 data-build="2">jointscope</h1>'));
  stamp(dir);
  await page.evaluate(async () => (await navigator.serviceWorker.ready).update());
  await page.waitForFunction(() => document.body.dataset.update === "pending", null, { timeout: 60_000 });
  assert.equal(await page.locator("#update").isVisible(), true);
  assert.match(await text(page, "#check-summary"), /^\d+ of 11 joints flagged\./);
  await page.click("#save");
  await page.waitForSelector('h1[data-build="2"]', { timeout: 60_000 });
  await page.waitForFunction(() => document.body.dataset.ready);
  await historyLength(page, 1);
  await context.close();
});

test("two tabs keeping checks at the same moment lose none, and each shows the other's", async () => {
  const context = await session.browser.newContext();
  const { page: a } = await session.openPage(`${session.origin}/?backend=cpu`, context);
  const { page: b } = await session.openPage(`${session.origin}/?backend=cpu`, context);
  await upload(a, fx.handPhoto);
  await upload(b, fx.handPhoto);
  await Promise.all([a.click("#save"), b.click("#save")]);
  await historyLength(a, 2);
  await historyLength(b, 2);
  await context.close();
});

test("no request leaves the page's origin and none carries a body", () => {
  session.assertPrivate();
});
