// The patient page through a long session in one tab (headless Chromium, the CPU bundle in its
// worker, as a phone without WebGPU runs it): N photos chosen one after another (the given photos
// in turn, and every tenth a 12-megapixel phone-size one made from the first), then the live
// camera's capture check for S seconds. After every 50 photos and every 30 s of camera: the
// detector's wasm memory, the page's JS heap after a garbage collection, and the memory (PSS)
// of all of Chromium's processes. Then, one fresh tab per size, the same after one photo of 1 to 48
// megapixels: what a photo of that size costs. Prints Markdown tables and writes OUT.json.
// Usage: node soak_web.mjs URL OUT.json N SECONDS PHOTO...   (scripts/soak-web.sh runs it; URL
// serves the page, dist/web with weights)
import { launch } from "./chromium.mjs";
import { fakeCamera } from "../tests/fake-camera.mjs";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";

const [url, out, n, seconds, ...photos] = process.argv.slice(2);
if (!url || !out || !photos.length) {
  console.error("usage: node soak_web.mjs URL OUT.json N SECONDS PHOTO...");
  process.exit(2);
}
const MB = 1 << 20;
const SIZES_MP = [1, 3, 12, 24, 48];

const browser = await launch(["--enable-precise-memory-info", "--js-flags=--expose-gc"]);
const scratch = mkdtempSync(join(tmpdir(), "jointscope-soak-"));
try {
  const made = await resized(photos[0], SIZES_MP);
  const soak = await session(Number(n) || 300, Number(seconds) || 120, [...photos], made[12]);
  const sizes = [];
  for (const mp of SIZES_MP) sizes.push(await onePhoto(made[mp], mp));
  const ua = await (await browser.newPage()).evaluate(() => navigator.userAgent);
  report(soak, sizes, ua);
  writeFileSync(out, JSON.stringify({ browser: ua, photos: photos.map((p) => basename(p)), soak, sizes }, null, 2));
} finally {
  await browser.close();
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * Memory (bytes) of this script's descendants (the browser and its processes): the sum of their
 * proportional set sizes (/proc/PID/smaps_rollup: shared pages split between the processes sharing
 * them, so nothing is counted twice), or of their resident sizes where that file is missing.
 */
function browserMemory() {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,rss="], { encoding: "utf8" }).trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number));
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows) if (ours.has(ppid) && !ours.has(pid)) (ours.add(pid), (grew = true));
  }
  const pss = (pid, rss) => {
    try {
      return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))[1]) * 1024;
    } catch {
      return rss * 1024;
    }
  };
  return rows.filter(([pid]) => ours.has(pid) && pid !== process.pid).reduce((s, [pid, , rss]) => s + pss(pid, rss), 0);
}

/** Memory now: the detector's wasm memory, the page's JS heap after a GC, Chromium's PSS. */
async function sample(page, at) {
  const { wasm, heap } = await page.evaluate(() => {
    globalThis.gc?.();
    return { wasm: Number(document.body.dataset.wasmBytes ?? 0), heap: performance.memory?.usedJSHeapSize ?? 0 };
  });
  return { ...at, wasm_bytes: wasm, js_heap_bytes: heap, browser_bytes: browserMemory() };
}

/** The page at `url` in a fresh context (with a camera that films `cameraPhoto`), ready. */
async function openPage(cameraPhoto) {
  const context = await browser.newContext();
  if (cameraPhoto) {
    await context.addInitScript(fakeCamera, [...readFileSync(cameraPhoto)]);
  }
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(`${url}/?backend=cpu`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 300_000 });
  return { page, context };
}

/** Choose `file` in the page and wait for its result; its milliseconds (the page's own timing). */
async function choose(page, file) {
  await page.evaluate(() => delete document.body.dataset.result);
  await page.setInputFiles("#file", file);
  await page.waitForFunction(() => document.body.dataset.result && !document.body.dataset.busy, null, { timeout: 300_000 });
  const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  if (result.error) throw new Error(`${basename(file)}: ${result.error}: ${await page.textContent("#status")}`);
  return result.ms;
}

/** N photos in one tab, then the camera for `secs` seconds, sampled as it goes. */
async function session(count, secs, list, big) {
  const { page, context } = await openPage(list[0]);
  const samples = [await sample(page, { photos: 0, camera_s: 0 })];
  const ms = [];
  for (let i = 1; i <= count; i++) {
    const file = i % 10 === 0 ? big : list[i % list.length];
    ms.push(await choose(page, file));
    if (i % 50 === 0 || i === count) samples.push(await sample(page, { photos: i, camera_s: 0 }));
  }
  await page.click("#camera-start");
  for (let t = 30; t <= secs; t += 30) {
    await page.waitForTimeout(30_000);
    const gate = JSON.parse((await page.evaluate(() => document.body.dataset.gate)) ?? "{}");
    samples.push(await sample(page, { photos: count, camera_s: t, camera_frames: gate.frames ?? 0 }));
  }
  await page.click("#camera-stop");
  await context.close();
  return { photos: count, camera_seconds: secs, median_ms: [...ms].sort((a, b) => a - b)[ms.length >> 1], samples };
}

/** In a fresh tab: the memory after one photo of `mp` megapixels. */
async function onePhoto(file, mp) {
  const { page, context } = await openPage(null);
  const before = await sample(page, { megapixels: mp, photos: 0 });
  let ms = null;
  let error = null;
  try {
    ms = await choose(page, file);
  } catch (e) {
    error = e.message;
  }
  const after = await sample(page, { megapixels: mp, photos: 1 });
  await context.close();
  return { megapixels: mp, ms, error, before, after };
}

/** JPEGs of `photo` scaled to each size in megapixels (4:3), made by the browser's canvas. */
async function resized(photo, sizes) {
  const page = await browser.newPage();
  const made = {};
  for (const mp of sizes) {
    const bytes = await page.evaluate(async ({ bytes, mp }) => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
      const h = Math.round(Math.sqrt((mp * 1e6 * bitmap.height) / bitmap.width));
      const w = Math.round((mp * 1e6) / h);
      const c = new OffscreenCanvas(w, h);
      c.getContext("2d").drawImage(bitmap, 0, 0, w, h);
      return [...new Uint8Array(await (await c.convertToBlob({ type: "image/jpeg", quality: 0.9 })).arrayBuffer())];
    }, { bytes: [...readFileSync(photo)], mp });
    made[mp] = join(scratch, `${mp}mp.jpg`);
    writeFileSync(made[mp], Buffer.from(bytes));
  }
  await page.close();
  return made;
}

function report(soak, sizes, ua) {
  const mb = (b) => (b / MB).toFixed(1);
  console.log(`\nOne tab, ${soak.photos} photos then ${soak.camera_seconds} s of camera (${ua.match(/Chrome\/[\d.]+/)?.[0] ?? ua}, CPU bundle in its worker; median photo ${soak.median_ms.toFixed(0)} ms):\n`);
  console.log("| photos | camera s | wasm memory MB | page JS heap MB (after GC) | Chromium memory MB (PSS) |");
  console.log("|---|---|---|---|---|");
  for (const s of soak.samples) console.log(`| ${s.photos} | ${s.camera_s} | ${mb(s.wasm_bytes)} | ${mb(s.js_heap_bytes)} | ${mb(s.browser_bytes)} |`);
  console.log("\nOne photo in a fresh tab, by size:\n");
  console.log("| megapixels | ms | wasm memory MB | page JS heap MB | Chromium memory MB (PSS) (before → after) |");
  console.log("|---|---|---|---|---|");
  for (const r of sizes) {
    console.log(`| ${r.megapixels} | ${r.error ? `refused: ${r.error}` : r.ms.toFixed(0)} | ${mb(r.after.wasm_bytes)} | ${mb(r.after.js_heap_bytes)} | ${mb(r.before.browser_bytes)} → ${mb(r.after.browser_bytes)} |`);
  }
}
