// The npm package (pkg/) in real headless Chromium: the one backend fallback path, the generated
// TypeScript types against real results, the package as published (its `npm pack` tarball in a
// Vite app running its README's example), the README's field names, the constants and options of
// its API, and the benchmarks' entries kept out of the shipped bundles.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, REAL, Session, fixtures, upload } from "./fixtures.mjs";

let fx, session;
before(async () => {
  fx = fixtures();
  session = await Session.start(fx);
});
after(() => session?.close());

test("backend auto on a software adapter (SwiftShader here) runs on the CPU and never fetches the WebGPU bundle", async () => {
  const { page, context } = await session.openPage(`${session.origin}/`);
  // This machine's only adapter is SwiftShader, a fallback adapter: the condition under test.
  assert.equal(await page.evaluate(async () => (await navigator.gpu?.requestAdapter())?.info.isFallbackAdapter), true);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "cpu");
  const { result } = await upload(page, fx.handPhoto);
  assert.equal(result.hands, 1, JSON.stringify(result));
  const webgpu = session.requests.filter((r) => r.page === page && r.url.includes("/wasm/webgpu/"));
  assert.deepEqual(webgpu.map((r) => r.url), []);
  await context.close();
});

test("the detector's worker answers a message it does not know with a ProtocolError naming it", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const reply = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const w = new Worker("/pkg/worker.js", { type: "module" });
        w.onmessage = ({ data }) => {
          w.terminate();
          resolve(data);
        };
        w.postMessage({ id: 7, op: "detekt", args: {} });
      }),
  );
  assert.equal(reply.id, 7);
  assert.equal(reply.ok, false);
  assert.equal(reply.error.name, "ProtocolError");
  assert.match(reply.error.message, /no operation "detekt" \(it has create, setOptions, detect, detectForVideo, memoryBytes, judge\)/);
  await context.close();
});

// In the page: the test photo drawn twice side by side (two hands), given with a detector made by
// `create` (extra create options merged in) to `run(d, canvas)`, whose answer is returned.
async function twoHands(page, createOptions, run) {
  await page.evaluate((bytes) => (globalThis.testPhoto = new Uint8Array(bytes)), [...readFileSync(fx.handPhoto)]);
  // One expression, so that `run` is evaluated by the test driver, not by an eval the page's CSP forbids.
  return page.evaluate(`(async () => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu", ...${JSON.stringify(createOptions)} });
    const bitmap = await createImageBitmap(new Blob([globalThis.testPhoto]));
    const canvas = new OffscreenCanvas(bitmap.width * 2, bitmap.height);
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    canvas.getContext("2d").drawImage(bitmap, bitmap.width, 0);
    try {
      return await (${run.toString()})(d, canvas);
    } finally {
      d.close();
    }
  })()`);
}

test("setOptions({ maxHands }) changes how many hands the worker's detector finds from the next photo", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await twoHands(page, {}, async (d, canvas) => {
    const before = (await d.detect(canvas)).hands.length;
    await d.setOptions({ maxHands: 1 });
    return { before, after: (await d.detect(canvas)).hands.length, options: d.options };
  });
  assert.deepEqual(r, { before: 2, after: 1, options: { mirrored: false, maxHands: 1, minPalmScore: 0.5, minPresence: 0.5 } });
  await context.close();
});

test("a detector created with maxHands 1 on the main thread finds one hand of two", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await twoHands(page, { maxHands: 1, worker: false }, async (d, canvas) => ({ hands: (await d.detect(canvas)).hands.length, maxHands: d.options.maxHands }));
  assert.deepEqual(r, { hands: 1, maxHands: 1 });
  await context.close();
});

test("setOptions refuses a setting out of range or unknown with an InputError naming it, and changes nothing", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await twoHands(page, {}, async (d, canvas) => {
    const refused = [];
    for (const change of [{ maxHands: 0 }, { minPalmScore: 1.5 }, { numHands: 1 }, { maxHands: 1, minPresence: -1, mirrored: true }]) {
      refused.push(await d.setOptions(change).then(() => "accepted", (e) => `${e.name}: ${e.message}`));
    }
    return { refused, options: d.options, hands: (await d.detect(canvas)).hands.length };
  });
  assert.equal(r.refused.length, 4, JSON.stringify(r));
  for (const [said, name] of r.refused.map((said, i) => [said, ["max_hands", "min_palm_score", "numHands", "min_presence"][i]])) {
    assert.match(said, /^InputError: /, JSON.stringify(r));
    assert.ok(said.includes(name), said);
  }
  assert.deepEqual(r.options, { mirrored: false, maxHands: 2, minPalmScore: 0.5, minPresence: 0.5 });
  assert.equal(r.hands, 2);
  await context.close();
});

test("backend cpu never fetches the WebGPU bundle", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  await upload(page, fx.handPhoto);
  assert.ok(session.requests.some((r) => r.page === page && r.url.includes("/wasm/cpu/")));
  assert.deepEqual(session.requests.filter((r) => r.page === page && r.url.includes("/wasm/webgpu/")).map((r) => r.url), []);
  await context.close();
});

test("backend auto falls back to the CPU when a hardware-looking WebGPU adapter fails to start", async () => {
  const context = await session.browser.newContext();
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
  session.watch(page);
  await page.goto(`${session.origin}/?backend=cpu`);
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
  assert.ok(session.requests.some((q) => q.page === page && q.url.includes("/wasm/webgpu/")));
  await context.close();
});

test("what the page returns is what the generated TypeScript types declare", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const detection = await page.evaluate(async (bytes) => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" });
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    const frame = await d.detectForVideo(canvas, 1);
    return { detection: await d.detect(new Blob([new Uint8Array(bytes)])), sidecar: d.sidecar, limits: d.limits, frame };
  }, [...readFileSync(fx.handPhoto)]);
  await context.close();
  // Object literals are checked for missing and for extra properties: any drift between the Rust
  // types (and so the declarations) and what reaches the page fails to compile.
  const dir = join(fx.scratch, "types");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "check.ts"),
    `import type { Detection, Sidecar, PhotoLimits, JointDetector, FrameCheck, HandRule, HandVerdict, TrainingPhotos } from ${JSON.stringify(join(ROOT, "pkg", "index.js"))};
const detection: Detection = ${JSON.stringify(detection.detection)};
const frame: FrameCheck = ${JSON.stringify(detection.frame)};
const sidecar: Sidecar = ${JSON.stringify(detection.sidecar)};
const limits: PhotoLimits = ${JSON.stringify(detection.limits)};
export async function use(d: JointDetector, blob: Blob, video: HTMLVideoElement): Promise<number> {
  const r: Detection = await d.detect(blob);
  const v = await d.judge(blob, [{ joint: "MCP2", x: 1, y: 2 }]);
  const f: FrameCheck = await d.detectForVideo(video, performance.now());
  const memory: number = await d.memoryBytes();
  await d.setOptions({ maxHands: 1, minPalmScore: 0.4, minPresence: 0.6, mirrored: true });
  const maxHands: number = d.options.maxHands;
  const meaning: string = d.meaning + r.meaning;
  let restarted = "";
  d.addEventListener("restart", (e) => { restarted = e.detail.reason; });
  const rule: HandRule | undefined = r.handRule;
  const verdict: HandVerdict | undefined = r.hands[0]?.verdict;
  const photos: TrainingPhotos | undefined = sidecar.training_photos;
  if (rule && verdict && photos && verdict.flagged !== verdict.score >= rule.threshold) throw new Error(photos);
  return r.hands.length + v.length + detection.width + sidecar.threshold + limits.maxPixels + f.hands.length + frame.timestampMs + meaning.length + d.restarts + restarted.length + memory + maxHands;
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

test("the package installed from its npm pack tarball runs its README's example in a Vite app", async () => {
  const app = join(fx.scratch, "vite-app");
  mkdirSync(join(app, "public", "weights"), { recursive: true });
  for (const f of ["jointscope.bpk", "jointscope.json"]) cpSync(join(fx.tmp, "demo", "export", f), join(app, "public", "weights", f));
  // What a developer gets from the registry: the tarball `npm pack` makes (the package's `files`),
  // installed as a dependency and resolved through its `exports`.
  const packed = execFileSync("npm", ["pack", join(ROOT, "pkg"), "--pack-destination", fx.scratch, "--silent"], { encoding: "utf8" }).trim().split("\n").pop();
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "vite-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", join(fx.scratch, packed)], { cwd: app, stdio: "inherit" });
  // The README's example as written, its photo a Blob of the test photo and its console.log recorded.
  const { example } = packageReadme();
  const imports = example.split("\n").filter((l) => l.startsWith("import "));
  const body = example.split("\n").filter((l) => !l.startsWith("import ")).join("\n  ");
  writeFileSync(join(app, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>\n');
  writeFileSync(
    join(app, "main.js"),
    `${imports.join("\n")}
window.run = async (bytes) => {
  const fileOrImageBitmapOrCanvas = new Blob([new Uint8Array(bytes)]);
  const logged = [];
  const console = { log: (...values) => logged.push(values) };
  ${body}
  return logged;
};
document.body.dataset.ready = "1";
`,
  );
  // Workers must be ES modules (they import the bundles).
  writeFileSync(join(app, "vite.config.mjs"), `export default { logLevel: "warn", worker: { format: "es" } };\n`);
  execFileSync(process.execPath, [join(ROOT, "tests", "node_modules", "vite", "bin", "vite.js"), "build"], { cwd: app, stdio: "inherit" });
  const viteOrigin = await session.serve(join(app, "dist"));
  const context = await session.browser.newContext();
  const page = await context.newPage();
  session.watch(page);
  await page.goto(`${viteOrigin}/`);
  await page.waitForFunction(() => document.body.dataset.ready);
  const logged = await page.evaluate((bytes) => window.run(bytes), [...readFileSync(fx.handPhoto)]);
  await context.close();
  // One judgeable hand, a line per joint (handedness, joint name, x, y, verdict), then what a flag means.
  assert.equal(logged.length, 12, JSON.stringify(logged));
  const names = ["MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "IP", "WRIST"];
  for (const [k, [hand, joint, x, y, verdict]] of logged.slice(0, 11).entries()) {
    assert.ok(["left", "right"].includes(hand), JSON.stringify(logged[k]));
    assert.equal(joint, names[k]);
    assert.ok([x, y].every(Number.isFinite), JSON.stringify(logged[k]));
    assert.ok(["flagged", "not flagged"].includes(verdict), JSON.stringify(logged[k]));
  }
  assert.match(logged[11][0], /^Flagged means: at this setting the model found (about \d+ in 10|all|nearly all|none|fewer than 1 in 10) of the inflamed joints in its test photos and also flagged .* of the healthy ones \(\d+ patients, \d+ inflamed joints of \d+; drawn synthetic hands, not real ones\)\.$/);
});

test("the shipped CPU bundle carries none of the benchmarks' entries", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await page.evaluate(async () => {
    const shipped = await import("/pkg/wasm/cpu/jointscope_wasm.js");
    const bench = await import("/bench-wasm/cpu/jointscope_wasm.js");
    const entries = (m) => [typeof m.LandmarkModel, typeof m.JointDetector.prototype.profileEncoded];
    return { shipped: entries(shipped), bench: entries(bench) };
  });
  await context.close();
  assert.deepEqual(r, { shipped: ["undefined", "undefined"], bench: ["function", "function"] });
});

test("the package's JOINTS and HAND_CONNECTIONS are the bundle's own joint names and bones", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await page.evaluate(async () => {
    const pkg = await import("/pkg/index.js");
    const wasm = await import("/pkg/wasm/cpu/jointscope_wasm.js");
    await wasm.default();
    const { JOINT_ORDER } = await import("/diagram.js");
    return { joints: [pkg.JOINTS, wasm.jointNames()], bones: [pkg.HAND_CONNECTIONS, wasm.handConnections()], diagram: [...JOINT_ORDER].sort(), sorted: [...pkg.JOINTS].sort() };
  });
  await context.close();
  assert.deepEqual(r.joints[0], r.joints[1]);
  assert.deepEqual(r.bones[0], r.bones[1]);
  assert.equal(r.joints[0].length, 11);
  assert.equal(r.bones[0].length, 20);
  // The page's diagram places exactly the package's joints.
  assert.deepEqual(r.diagram, r.sorted);
});

test("setOptions({ mirrored: true }) swaps the next photo's handedness and leaves its verdicts as they are", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await page.evaluate(async (bytes) => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" });
    const photo = () => new Blob([new Uint8Array(bytes)]);
    const plain = await d.detect(photo());
    d.setOptions({ mirrored: true });
    const mirrored = await d.detect(photo());
    d.setOptions({});
    const still = await d.detect(photo());
    d.close();
    const view = (x) => x.hands.map((h) => ({ handedness: h.handedness, p: h.joints.map((j) => j.probability), judgeable: h.judgeable }));
    return { plain: view(plain), mirrored: view(mirrored), still: view(still) };
  }, [...readFileSync(fx.handPhoto)]);
  await context.close();
  assert.equal(r.plain.length, 1);
  const other = { left: "right", right: "left" }[r.plain[0].handedness];
  assert.deepEqual(r.mirrored, [{ ...r.plain[0], handedness: other }]);
  // Options left out keep their value.
  assert.deepEqual(r.still, r.mirrored);
});

test("the detector's wasm memory stops growing: twenty more detections of a photo after the first add nothing", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const bytes = await page.evaluate(async (photo) => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" });
    const sizes = [await d.memoryBytes()];
    for (let i = 0; i < 21; i++) {
      await d.detect(new Blob([new Uint8Array(photo)]));
      sizes.push(await d.memoryBytes());
    }
    d.close();
    return sizes;
  }, [...readFileSync(fx.handPhoto)]);
  await context.close();
  assert.ok(bytes[1] >= bytes[0] && bytes[0] > 0, `${bytes}`);
  assert.deepEqual(bytes.slice(2), Array(20).fill(bytes[1]), `wasm memory after each detection: ${bytes}`);
});

test("a hand is judgeable exactly when it passes the capture check and is familiar", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const photos = [fx.handPhoto, join(fx.samples, "blurred.png"), join(REAL, "11k_f_d.jpg")];
  const hands = await page.evaluate(async (files) => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" });
    const out = [];
    for (const bytes of files) for (const h of (await d.detect(new Blob([new Uint8Array(bytes)]))).hands) out.push([h.judgeable, h.quality.ok, h.familiarity?.familiar ?? true]);
    d.close();
    return out;
  }, photos.map((p) => [...readFileSync(p)]));
  await context.close();
  // [judgeable, quality.ok, familiar] per hand: the drawn test photo passes both, the blurred one
  // fails the capture check, the real hand passes it but is unlike the drawn training photos.
  assert.equal(hands.length, 3);
  for (const [judgeable, ok, familiar] of hands) assert.equal(judgeable, ok && familiar, JSON.stringify(hands));
  assert.deepEqual(hands.map(([j]) => j), [true, false, false]);
  assert.equal(hands[1][1], false);
  assert.deepEqual(hands[2].slice(1), [true, false]);
});

test("detectForVideo follows the hand from the second frame, checks its capture and refuses what is not a frame", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await page.evaluate(async (bytes) => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" });
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    // Four frames of the test photo, one pixel further right each time.
    const frame = (k) => {
      const c = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = c.getContext("2d");
      ctx.drawImage(bitmap, 0, 0);
      ctx.drawImage(bitmap, k, 0);
      return c;
    };
    const frames = [];
    for (let k = 0; k < 4; k++) frames.push(await d.detectForVideo(frame(k), 1000 + 33 * k));
    const still = await d.detect(frame(3));
    const error = (p) => p.then(() => null, (e) => `${e.name}: ${e.message}`);
    const stale = await error(d.detectForVideo(frame(0), 1000));
    const encoded = await error(d.detectForVideo(new Blob([new Uint8Array(bytes)]), 2000));
    d.close();
    return { frames, still, stale, encoded };
  }, [...readFileSync(fx.handPhoto)]);
  await context.close();
  assert.deepEqual(r.frames.map((f) => [f.tracked, f.hands.length, f.timestampMs]), [[false, 1, 1000], [true, 1, 1033], [true, 1, 1066], [true, 1, 1099]]);
  const last = r.frames[3].hands[0];
  // Landmarks and the capture check only: no verdicts, no familiarity.
  assert.deepEqual(Object.keys(last).sort(), ["handedness", "handednessScore", "landmarks", "presence", "quality"]);
  assert.equal(last.handedness, r.still.hands[0].handedness);
  assert.equal(last.quality.ok, r.still.hands[0].quality.ok);
  assert.deepEqual(last.quality.checks.map((c) => c.name), r.still.hands[0].quality.checks.map((c) => c.name));
  assert.match(r.stale ?? "", /^InputError: .*frame timestamps must increase: 1000 ms after 1099 ms$/);
  assert.match(r.encoded ?? "", /^InputError: detectForVideo takes a video frame/);
});

/** The package's README: its first JavaScript example, and the field names its prose lists. */
function packageReadme() {
  const text = readFileSync(join(ROOT, "pkg", "README.md"), "utf8");
  const example = /```js\n([\s\S]*?)```/.exec(text)[1];
  const listed = (label) => {
    const m = new RegExp(`${label} \`\\{ ([^}]*) \\}\``).exec(text.replace(/\n\s*/g, " "));
    assert.ok(m, `pkg/README.md lists no fields after "${label}"`);
    return m[1].split(",").map((s) => s.trim());
  };
  return { example, listed };
}

test("the front README's package example is a part of the package README's, which the tests run", () => {
  const code = (block) => block.split("\n").map((l) => l.replace(/\s*\/\/.*$/, "").trim()).filter(Boolean);
  const front = /```js\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, "README.md"), "utf8"))[1];
  const tested = code(packageReadme().example);
  assert.deepEqual(code(front).filter((l) => !tested.includes(l)), []);
});

test("every field the package's README names is in a real detection", async () => {
  const { listed } = packageReadme();
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const detection = await page.evaluate(async (bytes) => {
    const { JointDetector } = await import("/pkg/index.js");
    const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" });
    return d.detect(new Blob([new Uint8Array(bytes)]));
  }, [...readFileSync(fx.handPhoto)]);
  await context.close();
  const missing = (names, object) => names.filter((n) => !(n in object));
  assert.deepEqual(missing(listed("each joint"), detection.hands[0].joints[0]), [], "joint fields");
  assert.deepEqual(missing(listed("each hand"), detection.hands[0]), [], "hand fields");
  assert.deepEqual(missing(listed("Result:"), detection), [], "Result fields");
});

test("the landmark model alone (the benchmarks' entry) runs and refuses a wrong-sized input", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await page.evaluate(async () => {
    const { default: init, LandmarkModel } = await import("/bench-wasm/cpu/jointscope_wasm.js");
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
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await page.evaluate(async (bytes) => {
    const { default: init, JointDetector } = await import("/bench-wasm/cpu/jointscope_wasm.js");
    await init();
    const get = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const d = await JointDetector.create(await get("/pkg/models/palm_detection_full.tflite"), await get("/pkg/models/hand_landmark_full.tflite"),
      await get("/weights/jointscope.json"), await get("/weights/jointscope.bpk"), "cpu");
    const photo = new Uint8Array(bytes);
    const profile = await d.profileEncoded(photo.slice());
    const plain = await d.detectEncoded(photo.slice(), false);
    return { stages: profile.stages, same: JSON.stringify(profile.detection) === JSON.stringify(plain), hands: plain.hands.length };
  }, [...readFileSync(fx.handPhoto)]);
  await context.close();
  assert.equal(r.hands, 1);
  // The demo's weights carry MediaPipe's feature summary, so the appearance stage runs; one
  // landmark pass with the default options.
  assert.deepEqual(r.stages.map(([s]) => s), ["decode", "palm", "landmarks", "crops", "appearance", "classifier", "quality"]);
  assert.ok(r.stages.every(([, ms]) => Number.isFinite(ms) && ms >= 0), JSON.stringify(r.stages));
  assert.ok(r.same);
});

test("no request leaves the page's origin and none carries a body", () => {
  session.assertPrivate();
});
