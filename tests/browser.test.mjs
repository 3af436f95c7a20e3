// The built page (dist/web, from scripts/build-web.sh) and the npm package in real headless
// Chromium: detection on the CPU bundle and on WebGPU (SwiftShader), parity with the native
// trainer, privacy (no request leaves the origin, none carries a body), and bad input.
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

let tmp, site, badSite, server, badServer, origin, badOrigin, browser;
let handPhoto, wallPhoto, predictions;
const requests = [];
const timings = [];

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
      if (m) resolveUrl([p, m[1]]);
    });
    p.on("exit", (code) => reject(new Error(`jointscope serve exited with ${code}`)));
  });
}

function csv(path) {
  const [head, ...rows] = readFileSync(path, "utf8").trim().split("\n");
  const keys = head.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [keys[i], v])));
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "jointscope-e2e-"));
  // A small trained model: the quick synthetic benchmark, trained, evaluated and exported natively.
  execFileSync(BIN, ["demo", "--quick", "--backend", "flex", "--out", join(tmp, "demo"), "--quiet"], { stdio: "inherit" });
  site = join(tmp, "site");
  cpSync(join(ROOT, "dist", "web"), site, { recursive: true });
  for (const f of ["jointscope.bpk", "jointscope.json"]) cpSync(join(tmp, "demo", "export", f), join(site, "weights", f));
  // The same page with truncated weights.
  badSite = join(tmp, "bad-site");
  cpSync(site, badSite, { recursive: true });
  const w = readFileSync(join(site, "weights", "jointscope.bpk"));
  writeFileSync(join(badSite, "weights", "jointscope.bpk"), w.subarray(0, w.length >> 1));

  predictions = csv(join(tmp, "demo", "run", "eval", "predictions.csv"));
  handPhoto = join(tmp, "demo", "data", predictions[0].image);
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
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  for (const t of timings) console.log(`timing: ${t}`);
});

async function openPage(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
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


for (const backend of ["cpu", "webgpu"]) {
  test(`the page finds the joints and refuses bad photos on ${backend}`, async () => {
    const { page, context } = await openPage(`${origin}/?backend=${backend}`);
    assert.equal(await page.evaluate(() => document.body.dataset.ready), backend);
    assert.match(await page.textContent("#notice"), /not a diagnosis/);

    const first = await upload(page, handPhoto);
    assert.ok(first.result.hands >= 1, JSON.stringify(first));
    assert.equal(await page.locator("#joints tr[data-joint]").count(), 11 * first.result.hands);
    const warm = await upload(page, handPhoto);
    timings.push(`${backend}: first detection ${first.result.ms.toFixed(0)} ms, warm ${warm.result.ms.toFixed(0)} ms`);

    const wall = await upload(page, wallPhoto);
    assert.equal(wall.result.hands, 0);
    assert.match(wall.status, /No hand found/);

    for (const [file, pattern] of [["notes.jpg", /could not be used as a photo/], ["corrupt.jpg", /could not be used as a photo|hand/], ["huge.png", /could not be used as a photo.*(megapixel|pixels|too large)/i]]) {
      const bad = await upload(page, join(tmp, file));
      assert.match(bad.status, pattern, `${file}: ${bad.status}`);
    }
    // And the page still works.
    const again = await upload(page, handPhoto);
    assert.equal(again.result.hands, first.result.hands);
    await context.close();
  });

  test(`browser probabilities equal the native evaluate within 1e-4 on ${backend}`, async () => {
    const { page, context } = await openPage(`${origin}/?backend=${backend}`);
    const images = [...new Set(predictions.map((p) => p.image))].slice(0, 3);
    let worst = 0;
    let compared = 0;
    for (const image of images) {
      const rows = predictions.filter((p) => p.image === image);
      const manifest = csv(join(tmp, "demo", "data", "manifest.csv")).filter((m) => m.image === image && m.x !== "");
      const joints = manifest.map((m) => ({ joint: m.joint, x: Number(m.x), y: Number(m.y) }));
      const probs = await page.evaluate(
        async ({ backend, bytes, joints }) => {
          const { JointDetector } = await import("/pkg/index.js");
          const d = (window.__parity ??= await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend, worker: false }));
          return (await d.judge(new Uint8Array(bytes), joints)).map((j) => [j.name, j.probability]);
        },
        { backend, bytes: [...readFileSync(join(tmp, "demo", "data", image))], joints },
      );
      const byName = new Map(probs);
      for (const r of rows) {
        worst = Math.max(worst, Math.abs(byName.get(r.joint) - Number(r.probability)));
        compared++;
      }
    }
    timings.push(`${backend}: parity over ${compared} joints, largest difference ${worst.toExponential(2)}`);
    assert.ok(compared >= 20 && worst < 1e-4, `${compared} joints, largest difference ${worst}`);
    await context.close();
  });
}

test("backend auto skips a software WebGPU adapter (SwiftShader here) and detects on the CPU", async () => {
  const { page, context } = await openPage(`${origin}/`);
  const ready = await page.evaluate(() => document.body.dataset.ready);
  const fallback = await page.evaluate(async () => (await navigator.gpu?.requestAdapter())?.info.isFallbackAdapter);
  assert.equal(ready, fallback === false ? "webgpu" : "cpu");
  const { result } = await upload(page, handPhoto);
  assert.ok(result.hands >= 1, JSON.stringify(result));
  timings.push(`auto: started on ${ready}`);
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
  assert.ok(result.hands >= 1, JSON.stringify(result));
  await context.close();
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
    page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer(), allowed: viteOrigin }));
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

test("no request leaves the page's origin and none carries a body", () => {
  assert.ok(requests.length > 10);
  for (const r of requests) {
    const u = new URL(r.url);
    if (u.protocol === "data:" || u.protocol === "blob:") continue;
    assert.ok([origin, badOrigin, r.allowed].includes(u.origin), `request to ${r.url}`);
    assert.equal(r.method, "GET", `${r.method} ${r.url}`);
    assert.equal(r.body, null, `${r.url} carried a body`);
  }
});
