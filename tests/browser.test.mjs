// The built page (dist/web, from scripts/build-web.sh) and the npm package in real headless
// Chromium: detection on the CPU bundle and on WebGPU (SwiftShader), parity with the native
// `jointscope detect`, the one fallback path, updates reaching a returning browser, the generated
// TypeScript types against what the page really returns, privacy (no request leaves the origin,
// none carries a body), and bad input.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, cpSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
const BIN = process.env.JOINTSCOPE_BIN ?? join(TARGET, "release", "jointscope");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

let tmp, site, badSite, realSite, server, badServer, realServer, origin, badOrigin, realOrigin, browser;
let handPhoto, wallPhoto, predictions, parityPhotos, native, samples, historyFile, mediapipeSite, mediapipeNative;
const REAL = join(ROOT, "tests", "data", "real-hands");
const SHOTS = join(ROOT, "tests", "screenshots");
const requests = [];
const timings = [];
// Every origin a test served: the only places the pages may send requests to.
const served = new Set();

/** A PNG from a pixel function, with node's zlib only. */
function png(width, height, pixel) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * (width * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 1 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function serve(dir) {
  return new Promise((resolveUrl, reject) => {
    const p = spawn(BIN, ["serve", dir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    p.stdout.on("data", (d) => {
      const m = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(String(d));
      if (m) {
        served.add(m[1]);
        resolveUrl([p, m[1]]);
      }
    });
    p.on("exit", (code) => reject(new Error(`jointscope serve exited with ${code}`)));
  });
}

function csv(path) {
  const [head, ...rows] = readFileSync(path, "utf8").trim().split("\n");
  const keys = head.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [keys[i], v])));
}

/** Re-stamp a site's service worker after changing its files (as build-web.sh does). */
function stamp(dir) {
  execFileSync("bash", [join(ROOT, "scripts", "stamp-sw.sh"), dir], { stdio: "ignore" });
}

/** A copy of `site` in `name` with `change(dir)` applied and its service worker stamped again. */
function variant(name, change) {
  const dir = join(tmp, name);
  cpSync(site, dir, { recursive: true });
  change(dir);
  stamp(dir);
  return dir;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "jointscope-e2e-"));
  // A small trained model: the quick synthetic benchmark, trained, evaluated and exported natively.
  const env = { ...process.env, JOINTSCOPE_MODELS: process.env.JOINTSCOPE_MODELS ?? join(ROOT, "models") };
  execFileSync(BIN, ["demo", "--quick", "--backend", "flex", "--out", join(tmp, "demo"), "--quiet"], { stdio: "inherit", env });
  site = join(tmp, "site");
  cpSync(join(ROOT, "dist", "web"), site, { recursive: true });
  for (const f of ["jointscope.bpk", "jointscope.json"]) cpSync(join(tmp, "demo", "export", f), join(site, "weights", f));
  stamp(site);
  // The same page with truncated weights, and with weights whose sidecar says they were trained on real photos.
  badSite = variant("bad-site", (dir) => {
    const w = readFileSync(join(site, "weights", "jointscope.bpk"));
    writeFileSync(join(dir, "weights", "jointscope.bpk"), w.subarray(0, w.length >> 1));
  });
  realSite = variant("real-site", (dir) => {
    const sidecar = JSON.parse(readFileSync(join(site, "weights", "jointscope.json"), "utf8"));
    sidecar.synthetic_data = false;
    writeFileSync(join(dir, "weights", "jointscope.json"), JSON.stringify(sidecar));
  });

  predictions = csv(join(tmp, "demo", "run", "eval", "predictions.csv"));
  handPhoto = join(tmp, "demo", "data", predictions[0].image);
  // The native detection of the photos the parity test sends through the page.
  parityPhotos = [...new Set(predictions.map((p) => p.image))].slice(0, 6).map((i) => join(tmp, "demo", "data", i));
  const json = join(tmp, "native.json");
  execFileSync(BIN, ["detect", "--weights", join(tmp, "demo", "export"), "--backend", "flex", "--json", json, "--quiet", ...parityPhotos], { stdio: "ignore", env });
  native = JSON.parse(readFileSync(json, "utf8"));
  // Weights whose encoder starts from MediaPipe's hand network (train --init mediapipe), one
  // epoch, exported and judged natively on two of the parity photos.
  const mp = join(tmp, "mediapipe");
  execFileSync(BIN, ["train", "--manifest", join(tmp, "demo", "data", "manifest.csv"), "--run", join(mp, "run"), "--init", "mediapipe", "--arch", "local",
    "--local-size", "64", "--global-size", "64", "--width", "8", "--epochs", "1", "--backend", "flex", "--quiet"], { stdio: "ignore", env });
  execFileSync(BIN, ["export", "--run", join(mp, "run"), "--out", join(mp, "export"), "--force", "--quiet"], { stdio: "ignore", env });
  mediapipeSite = variant("mediapipe-site", (dir) => {
    for (const f of ["jointscope.bpk", "jointscope.json"]) cpSync(join(mp, "export", f), join(dir, "weights", f));
  });
  const mpJson = join(mp, "native.json");
  execFileSync(BIN, ["detect", "--weights", join(mp, "export"), "--backend", "flex", "--json", mpJson, "--quiet", ...parityPhotos.slice(0, 2)], { stdio: "ignore", env });
  mediapipeNative = JSON.parse(readFileSync(mpJson, "utf8"));
  // Drawn hand photos made to fail one capture check each (blurred.png, dark.png, cropped.png, palm.png, …).
  samples = join(tmp, "samples");
  // Seed 13: MediaPipe finds the hand in every variant (crates/detect/tests/quality.rs).
  execFileSync(BIN, ["capture-samples", "--out", samples, "--seed", "13"], { stdio: "ignore" });
  // A history file as the page exports it: two checks of the left hand a month apart, MCP2 rising.
  const names = ["MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "IP", "WRIST"];
  const record = (date, mcp2) => ({ date, model: "test", weights: "", threshold: 0.4, retakeDifference: 0.1,
    hands: [{ handedness: "left", joints: names.map((name) => ({ name, probability: name === "MCP2" ? mcp2 : 0.05, inflamed: name === "MCP2" && mcp2 >= 0.4 })) }] });
  historyFile = join(tmp, "two-checks.json");
  writeFileSync(historyFile, JSON.stringify([record("2026-10-01T09:00:00.000Z", 0.1), record("2026-11-01T09:00:00.000Z", 0.7)]));
  wallPhoto = join(tmp, "wall.png");
  writeFileSync(wallPhoto, png(320, 240, (x, y) => [90 + (x >> 3), 120, 160 - (y >> 3)]));
  writeFileSync(join(tmp, "notes.jpg"), "this is not a photo\n");
  const jpeg = readFileSync(handPhoto);
  const corrupt = Buffer.from(jpeg.subarray(0, Math.floor(jpeg.length * 0.4)));
  for (let i = 600; i < corrupt.length; i += 97) corrupt[i] ^= 0x5a;
  writeFileSync(join(tmp, "corrupt.jpg"), corrupt);
  writeFileSync(join(tmp, "huge.png"), png(8192, 6144, () => [128, 128, 128]));

  [server, origin] = await serve(site);
  [badServer, badOrigin] = await serve(badSite);
  [realServer, realOrigin] = await serve(realSite);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--enable-unsafe-webgpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  badServer?.kill();
  realServer?.kill();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  for (const t of timings) console.log(`timing: ${t}`);
});

async function openPage(url, context) {
  context ??= await browser.newContext();
  const page = await context.newPage();
  page.on("request", (r) => requests.push({ page, url: r.url(), method: r.method(), body: r.postDataBuffer() }));
  page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 300_000 });
  return { page, context };
}

async function upload(page, file) {
  await page.evaluate(() => delete document.body.dataset.result);
  await page.setInputFiles("#file", file);
  await page.waitForFunction(() => document.body.dataset.result && !document.body.dataset.busy, null, { timeout: 300_000 });
  const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  return { result, status: await page.textContent("#status") };
}


/** The largest |a − b| over paired numbers. */
const worstOf = (pairs) => pairs.reduce((m, [a, b]) => Math.max(m, Math.abs(a - b)), 0);

// The page against native `jointscope detect` (flex) on six photos: measured at most 2.8e-4 px and
// 2.6e-7 (WebGPU on SwiftShader; the CPU bundle 9.5e-5 px and 1.9e-7). The tolerances allow 3.5×
// and 3.8×; the parity test logs each run's figures.
const PARITY = { landmarksPx: 1e-3, probability: 1e-6 };

for (const backend of ["cpu", "webgpu"]) {
  test(`the page finds the joints and refuses bad photos on ${backend}`, async () => {
    const { page, context } = await openPage(`${origin}/?backend=${backend}`);
    assert.equal(await page.evaluate(() => document.body.dataset.ready), backend);
    assert.match(await page.textContent("#notice"), /not a diagnosis/);

    const first = await upload(page, handPhoto);
    assert.equal(first.result.hands, 1, JSON.stringify(first));
    assert.deepEqual([first.result.judged, first.result.failing, first.result.unfamiliar], [1, [], false], JSON.stringify(first));
    if (backend === "cpu") {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, "good-photo.png"), fullPage: true });
    }
    assert.equal(await page.locator("#joints tr[data-joint]").count(), 11);
    const warm = await upload(page, handPhoto);
    timings.push(`${backend}: first detection ${first.result.ms.toFixed(0)} ms, warm ${warm.result.ms.toFixed(0)} ms`);

    const wall = await upload(page, wallPhoto);
    assert.equal(wall.result.hands, 0);
    assert.match(wall.status, /No hand found/);

    for (const [file, pattern] of [
      ["notes.jpg", /^This file could not be used as a photo: photo: not a readable image: unrecognised file format \(expected PNG or JPEG\)\. /],
      ["corrupt.jpg", /^This file could not be used as a photo: photo: not a readable image: truncated JPEG: its image data ends before the end-of-image marker\. /],
      ["huge.png", /^This file could not be used as a photo: photo: image too large: 8192×6144 pixels, the limits are 16384 per side and 50000000 in all\. /],
    ]) {
      const bad = await upload(page, join(tmp, file));
      assert.equal(bad.result.error, "ImageError", `${file}: ${JSON.stringify(bad.result)}`);
      assert.match(bad.status, pattern, `${file}: ${bad.status}`);
    }
    // And the page still works.
    const again = await upload(page, handPhoto);
    assert.equal(again.result.hands, first.result.hands);
    await context.close();
  });

  test(`the page's detections equal native jointscope detect on six photos on ${backend}`, async () => {
    const { page, context } = await openPage(`${origin}/?backend=${backend}`);
    const inPage = [];
    for (const photo of parityPhotos) {
      inPage.push(
        await page.evaluate(
          async ({ backend, bytes }) => {
            const { JointDetector } = await import("/pkg/index.js");
            const d = (window.__parity ??= await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend }));
            return d.detect(new Blob([new Uint8Array(bytes)]));
          },
          { backend, bytes: [...readFileSync(photo)] },
        ),
      );
    }
    const landmarks = [];
    const probabilities = [];
    let hands = 0;
    for (const [k, ours] of inPage.entries()) {
      const theirs = native[k].detection;
      assert.equal(ours.hands.length, theirs.hands.length, parityPhotos[k]);
      for (const [h, hand] of ours.hands.entries()) {
        const other = theirs.hands[h];
        assert.equal(hand.handedness, other.handedness);
        hands++;
        hand.landmarks.forEach((p, i) => landmarks.push([p[0], other.landmarks[i][0]], [p[1], other.landmarks[i][1]]));
        hand.joints.forEach((j, i) => {
          assert.equal(j.joint, other.joints[i].joint);
          assert.equal(j.inflamed, other.joints[i].inflamed);
          probabilities.push([j.probability, other.joints[i].probability]);
        });
      }
    }
    const [lm, pr] = [worstOf(landmarks), worstOf(probabilities)];
    timings.push(`${backend}: parity over ${parityPhotos.length} photos, ${hands} hands: landmarks ${lm.toExponential(2)} px, probabilities ${pr.toExponential(2)}`);
    assert.ok(hands >= 5, `${hands} hands found`);
    assert.ok(lm <= PARITY.landmarksPx && pr <= PARITY.probability, `landmarks ${lm} px, probabilities ${pr}`);
    await context.close();
  });
}

test("backend auto on a software adapter (SwiftShader here) runs on the CPU and never fetches the WebGPU bundle", async () => {
  const { page, context } = await openPage(`${origin}/`);
  // This machine's only adapter is SwiftShader, a fallback adapter: the condition under test.
  assert.equal(await page.evaluate(async () => (await navigator.gpu?.requestAdapter())?.info.isFallbackAdapter), true);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "cpu");
  const { result } = await upload(page, handPhoto);
  assert.equal(result.hands, 1, JSON.stringify(result));
  const webgpu = requests.filter((r) => r.page === page && r.url.includes("/wasm/webgpu/"));
  assert.deepEqual(webgpu.map((r) => r.url), []);
  await context.close();
});

test("backend cpu never fetches the WebGPU bundle", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  await upload(page, handPhoto);
  assert.ok(requests.some((r) => r.page === page && r.url.includes("/wasm/cpu/")));
  assert.deepEqual(requests.filter((r) => r.page === page && r.url.includes("/wasm/webgpu/")).map((r) => r.url), []);
  await context.close();
});

test("backend auto falls back to the CPU when a hardware-looking WebGPU adapter fails to start", async () => {
  const context = await browser.newContext();
  // The page's adapter claims to be hardware and refuses to give a device, as a lost GPU would.
  await context.addInitScript(() => {
    const request = navigator.gpu.requestAdapter.bind(navigator.gpu);
    navigator.gpu.requestAdapter = async (options) => {
      const real = await request(options);
      return new Proxy(real, {
        get(target, p) {
          if (p === "info") {
            const i = target.info;
            return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: false };
          }
          if (p === "isFallbackAdapter") return false;
          if (p === "requestDevice") return () => Promise.reject(new DOMException("injected: the device was lost", "OperationError"));
          const v = Reflect.get(target, p);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    };
  });
  const page = await context.newPage();
  page.on("request", (r) => requests.push({ page, url: r.url(), method: r.method(), body: r.postDataBuffer() }));
  await page.goto(`${origin}/?backend=cpu`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 300_000 });
  // In the page itself (worker: false), where the injected adapter is the one WebGPU gets.
  const r = await page.evaluate(async () => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "auto", worker: false });
    return { backend: d.backend, reason: d.fallbackReason };
  });
  assert.equal(r.backend, "cpu");
  assert.match(r.reason ?? "", /^WebGPU failed \(BackendError: /);
  // It did try WebGPU first.
  assert.ok(requests.some((q) => q.page === page && q.url.includes("/wasm/webgpu/")));
  await context.close();
});

test("after the first visit the page works offline", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    // Installed: every file the page needs is in the cache.
    for (let i = 0; i < 100 && (await (await caches.keys()).length) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  });
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 300_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "cpu");
  const { result } = await upload(page, handPhoto);
  assert.equal(result.hands, 1, JSON.stringify(result));
  await context.close();
});

test("a rebuilt page reaches a browser that has the old one cached", async () => {
  const dir = variant("update-site", () => {});
  const [updateServer, updateOrigin] = await serve(dir);
  try {
    const context = await browser.newContext();
    const { page } = await openPage(`${updateOrigin}/?backend=cpu`, context);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const cached = await page.evaluate(() => caches.keys());
    // The rebuild: a changed page, stamped as build-web.sh stamps it.
    const html = readFileSync(join(dir, "index.html"), "utf8");
    writeFileSync(join(dir, "index.html"), html.replace("<h1>jointscope</h1>", '<h1 data-build="2">jointscope</h1>'));
    stamp(dir);
    // The returning visit: served from the old cache first, then the new worker takes over and the
    // page reloads onto the new files.
    await page.goto(`${updateOrigin}/?backend=cpu`);
    await page.waitForSelector('h1[data-build="2"]', { timeout: 60_000 });
    const now = await page.evaluate(() => caches.keys());
    assert.equal(now.length, 1, `caches ${now}`);
    assert.notDeepEqual(now, cached);
    await context.close();
  } finally {
    updateServer.kill();
  }
});

test("weights whose encoder starts from MediaPipe's network load in the page and judge as native detect does", async () => {
  const [mpServer, mpOrigin] = await serve(mediapipeSite);
  try {
    const { page, context } = await openPage(`${mpOrigin}/?backend=cpu`);
    const probabilities = [];
    for (const [k, photo] of parityPhotos.slice(0, 2).entries()) {
      const ours = await page.evaluate(
        async ({ bytes }) => {
          const { JointDetector } = await import("/pkg/index.js");
          const d = (window.__mp ??= await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" }));
          return { detection: await d.detect(new Blob([new Uint8Array(bytes)])), encoder: d.sidecar.architecture.encoder };
        },
        { bytes: [...readFileSync(photo)] },
      );
      assert.equal(ours.encoder, "mediapipe");
      const theirs = mediapipeNative[k].detection;
      assert.equal(ours.detection.hands.length, theirs.hands.length);
      ours.detection.hands.forEach((h, i) => h.joints.forEach((j, n) => probabilities.push([j.probability, theirs.hands[i].joints[n].probability])));
    }
    const worst = worstOf(probabilities);
    timings.push(`MediaPipe-initialised weights: ${probabilities.length} joints, probabilities within ${worst.toExponential(2)} of native`);
    assert.ok(probabilities.length >= 11 && worst <= PARITY.probability, `${probabilities.length} joints, worst ${worst}`);
    await context.close();
  } finally {
    mpServer.kill();
  }
});

test("the notice says what the weights were trained on, from their sidecar", async () => {
  const synthetic = await openPage(`${origin}/?backend=cpu`);
  assert.match(await synthetic.page.textContent("#provenance"), /trained on synthetic drawn hands/);
  await synthetic.context.close();
  const real = await openPage(`${realOrigin}/?backend=cpu`);
  assert.match(await real.page.textContent("#provenance"), /^The model on this page was trained on 24 photos of 12 people/);
  await real.context.close();
});

test("what the page returns is what the generated TypeScript types declare", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  const detection = await page.evaluate(async (bytes) => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" });
    return { detection: await d.detect(new Blob([new Uint8Array(bytes)])), sidecar: d.sidecar, limits: d.limits };
  }, [...readFileSync(handPhoto)]);
  await context.close();
  // Object literals are checked for missing and for extra properties: any drift between the Rust
  // types (and so the declarations) and what reaches the page fails to compile.
  const dir = join(tmp, "types");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "check.ts"),
    `import type { Detection, Sidecar, PhotoLimits, JointDetector } from ${JSON.stringify(join(ROOT, "pkg", "index.js"))};
const detection: Detection = ${JSON.stringify(detection.detection)};
const sidecar: Sidecar = ${JSON.stringify(detection.sidecar)};
const limits: PhotoLimits = ${JSON.stringify(detection.limits)};
export async function use(d: JointDetector, blob: Blob): Promise<number> {
  const r: Detection = await d.detect(blob);
  const v = await d.judge(blob, [{ joint: "MCP2", x: 1, y: 2 }]);
  return r.hands.length + v.length + detection.width + sidecar.threshold + limits.maxPixels;
}
`,
  );
  const tsc = join(ROOT, "tests", "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "esnext,dom", "--skipLibCheck", "false", join(dir, "check.ts")], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc: ${e.stdout}${e.stderr}`);
  }
});

test("the npm package works when bundled by Vite", async () => {
  const app = join(tmp, "vite-app");
  mkdirSync(join(app, "public"), { recursive: true });
  for (const f of ["jointscope.bpk", "jointscope.json"]) cpSync(join(tmp, "demo", "export", f), join(app, "public", f));
  writeFileSync(join(app, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>\n');
  // What an app does: import the package, create a detector (in its worker), detect in a Blob.
  writeFileSync(
    join(app, "main.js"),
    `import { JointDetector } from "jointscope";
window.run = async (bytes) => {
  const d = await JointDetector.create({ weights: "./jointscope.bpk", backend: "cpu" });
  const r = await d.detect(new Blob([new Uint8Array(bytes)]));
  d.close();
  return { backend: d.backend, hands: r.hands.length, joints: r.hands[0]?.joints.length };
};
document.body.dataset.ready = "1";
`,
  );
  // The package is resolved from pkg/ as if installed; workers must be ES modules (they import the bundles).
  writeFileSync(
    join(app, "vite.config.mjs"),
    `export default { logLevel: "warn", worker: { format: "es" }, resolve: { alias: { jointscope: ${JSON.stringify(join(ROOT, "pkg", "index.js"))} } } };\n`,
  );
  execFileSync(process.execPath, [join(ROOT, "tests", "node_modules", "vite", "bin", "vite.js"), "build"], { cwd: app, stdio: "inherit" });
  const [viteServer, viteOrigin] = await serve(join(app, "dist"));
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on("request", (r) => requests.push({ page, url: r.url(), method: r.method(), body: r.postDataBuffer() }));
    await page.goto(`${viteOrigin}/`);
    await page.waitForFunction(() => document.body.dataset.ready);
    const r = await page.evaluate((bytes) => window.run(bytes), [...readFileSync(handPhoto)]);
    assert.deepEqual(r, { backend: "cpu", hands: 1, joints: 11 });
    await context.close();
  } finally {
    viteServer.kill();
  }
});

test("truncated weights give a readable message", async () => {
  const { page, context } = await openPage(`${badOrigin}/?backend=cpu`);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "failed");
  assert.match(await page.textContent("#status"), /damaged or do not match.*truncated/);
  await context.close();
});

test("the landmark model alone (the benchmarks' entry) runs and refuses a wrong-sized input", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  const r = await page.evaluate(async () => {
    const { default: init, LandmarkModel } = await import("/pkg/wasm/cpu/jointscope_wasm.js");
    await init();
    const get = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const model = await LandmarkModel.create(await get("/pkg/models/palm_detection_full.tflite"), await get("/pkg/models/hand_landmark_full.tflite"), "cpu");
    const out = await model.run(new Float32Array(3 * 224 * 224).fill(0.5));
    const bad = await model.run(new Float32Array(10)).then(() => null, (e) => `${e.name}: ${e.message}`);
    return { n: out.length, finite: out.every(Number.isFinite), bad };
  });
  assert.deepEqual([r.n, r.finite], [65, true]);
  assert.match(r.bad ?? "", /^InputError: .*takes 3 × 224 × 224 values, got 10$/);
  await context.close();
});

test("the stage profile (the benchmarks' entry) marks every stage of a one-hand photo and detects what detectEncoded does", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  const r = await page.evaluate(async (bytes) => {
    const { default: init, JointDetector } = await import("/pkg/wasm/cpu/jointscope_wasm.js");
    await init();
    const get = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const d = await JointDetector.create(await get("/pkg/models/palm_detection_full.tflite"), await get("/pkg/models/hand_landmark_full.tflite"),
      await get("/weights/jointscope.json"), await get("/weights/jointscope.bpk"), "cpu", false);
    const photo = new Uint8Array(bytes);
    const profile = await d.profileEncoded(photo.slice());
    const plain = await d.detectEncoded(photo.slice());
    return { stages: profile.stages, same: JSON.stringify(profile.detection) === JSON.stringify(plain), hands: plain.hands.length };
  }, [...readFileSync(handPhoto)]);
  await context.close();
  assert.equal(r.hands, 1);
  // The demo's weights carry MediaPipe's feature summary, so the appearance stage runs; one
  // landmark pass with the default options.
  assert.deepEqual(r.stages.map(([s]) => s), ["decode", "palm", "landmarks", "crops", "appearance", "classifier", "quality"]);
  assert.ok(r.stages.every(([, ms]) => Number.isFinite(ms) && ms >= 0), JSON.stringify(r.stages));
  assert.ok(r.same);
});

// The capture check and the unfamiliar-photo warning, in the page: what failed is said, and no
// verdict is shown for a photo that fails.
test("a blurred, a dark, a cropped, a real palm-up and a real thumbs-up photo each get the right failing check and no verdicts", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  const good = await upload(page, handPhoto);
  assert.deepEqual([good.result.judged, good.result.failing], [1, []], JSON.stringify(good.result));
  for (const [file, check] of [
    [join(samples, "blurred.png"), "sharpness"],
    [join(samples, "dark.png"), "exposure"],
    [join(samples, "cropped.png"), "joints_in_frame"],
    [join(REAL, "11k_f_p.jpg"), "back_of_hand"],
    [join(REAL, "mp_thumbs_up.jpg"), "fingers_straight"],
  ]) {
    const r = await upload(page, file);
    assert.equal(r.result.judged, 0, `${file}: ${JSON.stringify(r.result)}`);
    assert.ok(r.result.failing.includes(check), `${file}: fails ${r.result.failing}, not ${check}`);
    assert.equal(await page.locator("#joints tr[data-joint]").count(), 0, file);
    assert.ok((await page.textContent(`#advice li[data-check="${check}"]`)).length > 20, file);
    assert.match(r.status, /cannot be judged/);
  }
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "failing-photo.png"), fullPage: true });
  // "Show anyway" (for researchers) shows the estimates of the last photo.
  await page.click("#anyway");
  assert.equal(await page.locator("#joints tr[data-joint]").count(), 11);
  await context.close();
});

test("a real hand photo gets the unfamiliar-photo message with weights trained on drawn hands", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  const r = await upload(page, join(REAL, "11k_f_d.jpg"));
  assert.deepEqual([r.result.hands, r.result.judged, r.result.unfamiliar], [1, 0, true], JSON.stringify(r.result));
  assert.match(await page.textContent('#advice li[data-check="unfamiliar"]'), /not trained on photos like this one/);
  assert.equal(await page.locator("#joints tr[data-joint]").count(), 0);
  await context.close();
});

/** Save the check made of `photo` (the hand it shows; the other one stays missing). */
async function saveCheck(page, photo) {
  await upload(page, photo);
  const before = await page.locator("#history-list li").count();
  await page.click("#save");
  await page.waitForFunction((n) => document.querySelectorAll("#history-list li").length > n, before);
}

test("two saved checks show in the trend, and export → delete → import restores them", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  page.on("dialog", (d) => d.accept());
  await saveCheck(page, handPhoto);
  await saveCheck(page, handPhoto);
  // One chart per joint of the hand checked, each with both checks' points.
  assert.equal(await page.locator('#trend svg.spark[data-points="2"]').count(), 11);
  mkdirSync(SHOTS, { recursive: true });
  await page.locator("#history").screenshot({ path: join(SHOTS, "trend.png") });
  const stored = await page.evaluate(async () => (await import("/history.js")).all());
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#history-export")]);
  const file = join(tmp, "history.json");
  await download.saveAs(file);
  await page.click("#history-delete");
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length === 0);
  await page.setInputFiles("#history-import", file);
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length === 2);
  const restored = await page.evaluate(async () => (await import("/history.js")).all());
  const strip = (r) => r.map(({ id, thumbnail, ...rest }) => rest);
  assert.deepEqual(strip(restored), strip(stored));
  // Importing the same file again adds nothing; a broken file changes nothing and says why.
  await page.setInputFiles("#history-import", file);
  await page.waitForFunction(() => /Imported 0 checks/.test(document.getElementById("status").textContent));
  writeFileSync(join(tmp, "broken.json"), JSON.stringify([{ date: "2026-01-01", hands: [{ handedness: "middle", joints: [] }] }]));
  await page.setInputFiles("#history-import", join(tmp, "broken.json"));
  await page.waitForFunction(() => /could not be imported: check 1: handedness/.test(document.getElementById("status").textContent));
  assert.equal(await page.locator("#history-list li").count(), 2);

  // The summary for the clinic visit renders from the saved checks, printable as one page.
  await page.click("#summary-open");
  await page.waitForSelector("#summary:not([hidden]) #summary-body svg.diagram");
  const text = await page.textContent("#summary-body");
  assert.match(text, /Latest check: .* 2 checks from/);
  assert.match(text, /not a diagnosis/i);
  assert.match(text, /threshold \d+ %/);
  assert.equal(await page.locator("#summary-body svg.spark").count() >= 11, true);
  await page.screenshot({ path: join(SHOTS, "summary.png"), fullPage: true });
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("main").isVisible(), false);
  assert.equal(await page.locator("#summary-body").isVisible(), true);
  await page.emulateMedia({ media: "screen" });
  await page.click("#summary-close");
  assert.equal(await page.locator("main").isVisible(), true);
  await context.close();
});

test("an imported history's change larger than the retake difference is highlighted in the trend", async () => {
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  await page.setInputFiles("#history-import", historyFile);
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length === 2);
  assert.equal(await page.locator('#trend svg[data-hand="left"][data-joint="MCP2"] line[data-change="1"]').count(), 1);
  assert.equal(await page.locator('#trend line[data-change="1"]').count(), 1);
  assert.match(await page.textContent("#trend .changes"), /left MCP2 10 % → 70 %/);
  await context.close();
});

test("the page at 360 px wide has no horizontal scroll", async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
  const { page } = await openPage(`${origin}/?backend=cpu`, context);
  await upload(page, handPhoto);
  await page.setInputFiles("#history-import", historyFile);
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length >= 2);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide`);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "good-photo-360px.png"), fullPage: true });
  await context.close();
});

test("an axe-core scan of the page with a result reports no serious or critical violation", async () => {
  // The scanner is injected as a script: allowed past the page's CSP for this test only.
  const context = await browser.newContext({ bypassCSP: true });
  const { page } = await openPage(`${origin}/?backend=cpu`, context);
  await upload(page, handPhoto);
  await page.setInputFiles("#history-import", historyFile);
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length >= 2);
  await page.addScriptTag({ path: join(ROOT, "tests", "node_modules", "axe-core", "axe.min.js") });
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })));
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  timings.push(`axe-core: ${violations.length} violations (${violations.map((v) => `${v.id}/${v.impact}`).join(", ") || "none"})`);
  assert.deepEqual(serious, []);
  await context.close();
});

test("the CPU bundle is built with WebAssembly SIMD, and the page runs it", async () => {
  // rustc records the target features a module was built with in its target_features section.
  const wasm = readFileSync(join(site, "pkg", "wasm", "cpu", "jointscope_wasm_bg.wasm"));
  assert.ok(wasm.includes(Buffer.from("target_features")) && wasm.includes(Buffer.from("simd128")), "no simd128 in target_features");
  const { page, context } = await openPage(`${origin}/?backend=cpu`);
  assert.equal(await page.evaluate(async () => (await import("/pkg/engine.js")).simdAvailable()), true);
  const { result } = await upload(page, handPhoto);
  assert.equal(result.hands, 1);
  await context.close();
});

test("no request leaves the page's origin and none carries a body", () => {
  assert.ok(requests.length > 10);
  for (const r of requests) {
    const u = new URL(r.url);
    if (u.protocol === "data:" || u.protocol === "blob:") continue;
    assert.ok(served.has(u.origin), `request to ${r.url}`);
    assert.equal(r.method, "GET", `${r.method} ${r.url}`);
    assert.equal(r.body, null, `${r.url} carried a body`);
  }
});
