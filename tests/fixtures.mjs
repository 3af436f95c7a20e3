// What every browser test file shares: the fixtures made once per run (a small trained model,
// the page assembled with it and its variants, native detections to compare with, drawn photos
// made to fail the capture check, bad files), and a session per test file (its own servers, its
// own headless Chromium, the requests its pages sent).
//
// `run.mjs` prepares the fixtures once and names their folder in JOINTSCOPE_E2E_FIXTURES for every
// test file; a test file run alone (`node --test page.test.mjs`) prepares its own.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, cpSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { PNG } from "pngjs";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
export const BIN = process.env.JOINTSCOPE_BIN ?? join(TARGET, "release", "jointscope");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const REAL = join(ROOT, "tests", "data", "real-hands");
export const SHOTS = join(ROOT, "tests", "screenshots");
const MODELS = process.env.JOINTSCOPE_MODELS ?? join(ROOT, "models");
const FIXTURES_FILE = "fixtures.json";

/** A PNG of `width` × `height` whose pixel (x, y) is `pixel(x, y)` = [r, g, b]. */
export function png(width, height, pixel) {
  const image = new PNG({ width, height, colorType: 2 });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      image.data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return PNG.sync.write(image, { colorType: 2, deflateLevel: 1 });
}

/** A CSV file's rows as objects keyed by its header. */
export function csv(path) {
  const [head, ...rows] = readFileSync(path, "utf8").trim().split("\n");
  const keys = head.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [keys[i], v])));
}

/** Re-stamp a site's service worker after changing its files (as build-web.sh does). */
export function stamp(dir) {
  execFileSync("bash", [join(ROOT, "scripts", "stamp-sw.sh"), dir], { stdio: "ignore" });
}

/** A copy of the page `site` in `dir` with `change(dir)` applied and its service worker stamped again. */
export function variant(site, dir, change) {
  cpSync(site, dir, { recursive: true });
  change(dir);
  stamp(dir);
  return dir;
}

/** The largest |a − b| over paired numbers. */
export const worstOf = (pairs) => pairs.reduce((m, [a, b]) => Math.max(m, Math.abs(a - b)), 0);

function jointscope(args, options = {}) {
  execFileSync(BIN, args, { stdio: "ignore", env: { ...process.env, JOINTSCOPE_MODELS: MODELS }, ...options });
}

/** A small trained model: the quick synthetic benchmark, trained, evaluated and exported natively. */
function trainedModel(tmp) {
  jointscope(["demo", "--quick", "--backend", "flex", "--out", join(tmp, "demo"), "--quiet"], { stdio: "inherit" });
  const predictions = csv(join(tmp, "demo", "run", "eval", "predictions.csv"));
  const handPhoto = join(tmp, "demo", "data", predictions[0].image);
  // The photos the parity tests send through the page, and their native detections.
  const parityPhotos = [...new Set(predictions.map((p) => p.image))].slice(0, 6).map((i) => join(tmp, "demo", "data", i));
  const native = join(tmp, "native.json");
  jointscope(["detect", "--weights", join(tmp, "demo", "export"), "--backend", "flex", "--json", native, "--quiet", ...parityPhotos]);
  return { handPhoto, parityPhotos, native };
}

/** Weights whose encoder starts from MediaPipe's hand network (one epoch), exported and judged natively on two photos. */
function mediapipeModel(tmp, parityPhotos) {
  const mp = join(tmp, "mediapipe");
  jointscope(["train", "--manifest", join(tmp, "demo", "data", "manifest.csv"), "--run", join(mp, "run"), "--init", "mediapipe", "--arch", "local",
    "--local-size", "64", "--global-size", "64", "--width", "8", "--epochs", "1", "--backend", "flex", "--quiet"]);
  jointscope(["export", "--run", join(mp, "run"), "--out", join(mp, "export"), "--force", "--quiet"]);
  const native = join(mp, "native.json");
  jointscope(["detect", "--weights", join(mp, "export"), "--backend", "flex", "--json", native, "--quiet", ...parityPhotos.slice(0, 2)]);
  return { export: join(mp, "export"), native };
}

/** The built page (dist/web) with the trained model, and its variants. */
function sites(tmp, mediapipeExport) {
  const site = join(tmp, "site");
  cpSync(join(ROOT, "dist", "web"), site, { recursive: true });
  // The CPU bundle with the benchmarks' entries (build-web.sh --bench cpu), for their tests only.
  cpSync(join(ROOT, "dist", "wasm-bench", "cpu"), join(site, "bench-wasm", "cpu"), { recursive: true });
  for (const f of ["jointscope.bpk", "jointscope.json"]) cpSync(join(tmp, "demo", "export", f), join(site, "weights", f));
  stamp(site);
  // Truncated weights; weights whose sidecar says they were trained on real photos; MediaPipe-initialised weights.
  const badSite = variant(site, join(tmp, "bad-site"), (dir) => {
    const w = readFileSync(join(site, "weights", "jointscope.bpk"));
    writeFileSync(join(dir, "weights", "jointscope.bpk"), w.subarray(0, w.length >> 1));
  });
  // The same weights with their sidecar saying they were trained on other photos (or not saying).
  const trainedOn = (name, photos) => variant(site, join(tmp, name), (dir) => {
    const sidecar = JSON.parse(readFileSync(join(site, "weights", "jointscope.json"), "utf8"));
    if (photos === undefined) delete sidecar.training_photos; else sidecar.training_photos = photos;
    writeFileSync(join(dir, "weights", "jointscope.json"), JSON.stringify(sidecar));
  });
  const realSite = trainedOn("real-site", "real-labels");
  const paintedSite = trainedOn("painted-site", "simulated-signs");
  const unrecordedSite = trainedOn("unrecorded-site", undefined);
  const mediapipeSite = variant(site, join(tmp, "mediapipe-site"), (dir) => {
    for (const f of ["jointscope.bpk", "jointscope.json"]) cpSync(join(mediapipeExport, f), join(dir, "weights", f));
  });
  return { site, badSite, realSite, paintedSite, unrecordedSite, mediapipeSite };
}

/** Photos and files made to be refused or to fail: capture defects, a wall, text, a corrupt JPEG, a huge PNG, a history file. */
function badInputs(tmp, handPhoto) {
  // Drawn hand photos made to fail one capture check each (blurred.png, dark.png, cropped.png, palm.png, …);
  // seed 13: MediaPipe finds the hand in every variant (crates/detect/tests/quality.rs).
  const samples = join(tmp, "samples");
  jointscope(["capture-samples", "--out", samples, "--seed", "13"]);
  // A history file as the page exports it: two checks of the left hand a month apart, MCP2 rising.
  const names = ["MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "IP", "WRIST"];
  const record = (date, mcp2) => ({ date, model: "test", weights: "", threshold: 0.4, retakeDifference: 0.1,
    hands: [{ handedness: "left", joints: names.map((name) => ({ name, probability: name === "MCP2" ? mcp2 : 0.05, inflamed: name === "MCP2" && mcp2 >= 0.4 })) }] });
  const historyFile = join(tmp, "two-checks.json");
  writeFileSync(historyFile, JSON.stringify([record("2026-10-01T09:00:00.000Z", 0.1), record("2026-11-01T09:00:00.000Z", 0.7)]));
  const wallPhoto = join(tmp, "wall.png");
  writeFileSync(wallPhoto, png(320, 240, (x, y) => [90 + (x >> 3), 120, 160 - (y >> 3)]));
  writeFileSync(join(tmp, "notes.jpg"), "this is not a photo\n");
  const jpeg = readFileSync(handPhoto);
  const corrupt = Buffer.from(jpeg.subarray(0, Math.floor(jpeg.length * 0.4)));
  for (let i = 600; i < corrupt.length; i += 97) corrupt[i] ^= 0x5a;
  writeFileSync(join(tmp, "corrupt.jpg"), corrupt);
  writeFileSync(join(tmp, "huge.png"), png(8192, 6144, () => [128, 128, 128]));
  writeFileSync(join(tmp, "grey.png"), png(320, 240, (x, y) => Array(3).fill((x + 2 * y) & 255)));
  return { samples, historyFile, wallPhoto };
}

/** Make every fixture in the folder `tmp` and record where each is (fixtures.json). */
export function prepare(tmp) {
  const model = trainedModel(tmp);
  const mediapipe = mediapipeModel(tmp, model.parityPhotos);
  const fx = { tmp, ...model, mediapipeNative: mediapipe.native, ...sites(tmp, mediapipe.export), ...badInputs(tmp, model.handPhoto) };
  writeFileSync(join(tmp, FIXTURES_FILE), JSON.stringify(fx));
}

/**
 * The fixtures of this run, with the native detections read: those `run.mjs` prepared, or (a
 * test file run alone) fresh ones in a temporary folder removed when the process ends.
 */
export function fixtures() {
  let dir = process.env.JOINTSCOPE_E2E_FIXTURES;
  if (!dir || !existsSync(join(dir, FIXTURES_FILE))) {
    dir = mkdtempSync(join(tmpdir(), "jointscope-e2e-"));
    const own = dir;
    process.on("exit", () => rmSync(own, { recursive: true, force: true }));
    prepare(dir);
  }
  const fx = JSON.parse(readFileSync(join(dir, FIXTURES_FILE), "utf8"));
  fx.native = JSON.parse(readFileSync(fx.native, "utf8"));
  fx.mediapipeNative = JSON.parse(readFileSync(fx.mediapipeNative, "utf8"));
  // A folder of this test file's own, for what its tests write.
  fx.scratch = mkdtempSync(join(fx.tmp, "scratch-"));
  return fx;
}

/** One test file's servers and browser, the requests its pages made and the timings it reports. */
export class Session {
  constructor() {
    this.requests = [];
    this.timings = [];
    // Every origin this session served: the only places its pages may send requests to.
    this.served = new Set();
    this.servers = [];
  }

  /** Serve the page `site` at `origin`, its truncated-weights twin at `badOrigin`, and its twins whose sidecars say
   * they were trained on patients' photos, on painted healthy hands and nothing at `realOrigin`, `paintedOrigin`, `unrecordedOrigin`. */
  static async start(fx) {
    const s = new Session();
    s.origin = await s.serve(fx.site);
    s.badOrigin = await s.serve(fx.badSite);
    s.realOrigin = await s.serve(fx.realSite);
    s.paintedOrigin = await s.serve(fx.paintedSite);
    s.unrecordedOrigin = await s.serve(fx.unrecordedSite);
    s.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--enable-unsafe-webgpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    return s;
  }

  /** `jointscope serve dir` on a free port until the session closes; resolves to its origin. */
  serve(dir) {
    return new Promise((resolveUrl, reject) => {
      const p = spawn(BIN, ["serve", dir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
      this.servers.push(p);
      p.stdout.on("data", (d) => {
        const m = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(String(d));
        if (m) {
          this.served.add(m[1]);
          resolveUrl(m[1]);
        }
      });
      p.on("exit", (code) => reject(new Error(`jointscope serve exited with ${code}`)));
    });
  }

  /** Record every request `page` sends. */
  watch(page) {
    page.on("request", (r) => this.requests.push({ page, url: r.url(), method: r.method(), body: r.postDataBuffer() }));
    page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
  }

  /** Open `url` in a new page (of `context`, or a new one) and wait until the page is ready. */
  async openPage(url, context) {
    context ??= await this.browser.newContext();
    const page = await context.newPage();
    this.watch(page);
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 300_000 });
    return { page, context };
  }

  /** No request left a served origin, and none carried a body. */
  assertPrivate() {
    assert.ok(this.requests.length > 0, "no request was recorded");
    for (const r of this.requests) {
      const u = new URL(r.url);
      if (u.protocol === "data:" || u.protocol === "blob:") continue;
      assert.ok(this.served.has(u.origin), `request to ${r.url}`);
      assert.equal(r.method, "GET", `${r.method} ${r.url}`);
      assert.equal(r.body, null, `${r.url} carried a body`);
    }
  }

  async close() {
    await this.browser?.close();
    for (const p of this.servers) p.kill();
    for (const t of this.timings) console.log(`timing: ${t}`);
  }
}

/** Choose `file` in the page's photo input and wait for its result. */
export async function upload(page, file) {
  await page.evaluate(() => delete document.body.dataset.result);
  await page.setInputFiles("#file", file);
  await page.waitForFunction(() => document.body.dataset.result && !document.body.dataset.busy, null, { timeout: 300_000 });
  const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  return { result, status: await page.textContent("#status") };
}
