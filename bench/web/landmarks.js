// MediaPipe's hand-landmark model in one page, in four runtimes, on identical seeded inputs:
// our CPU and WebGPU bundles (burn, the TFLite import the patient page uses) and onnxruntime-web
// (its wasm and WebGPU execution providers, on the tflite2onnx conversion of the same file).
// window.bench({ count, repeats, runtimes }) resolves to one figure per runtime.
import * as ort from "./ort/ort.min.mjs";
import initCpu, { LandmarkModel as CpuModel } from "./wasm/cpu/jointscope_wasm.js";
import initGpu, { LandmarkModel as GpuModel } from "./wasm/webgpu/jointscope_wasm.js";
import { bytes, median } from "./common.js";

const SIDE = 224;
const log = (line) => { document.getElementById("log").textContent += line + "\n"; };

// mulberry32: the same inputs on every run and for every runtime.
function inputs(count, seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => Float32Array.from({ length: 3 * SIDE * SIDE }, next));
}

// Each maker resolves to { version, run(x) → Float32Array(65): 21 × (x, y, z), presence, handedness }.
const makers = {
  async "jointscope cpu"(m) {
    await initCpu();
    const model = await CpuModel.create(m.palm, m.landmark, "cpu");
    return { version: "burn 0.22 flex, wasm32 (1 thread, SIMD)", run: (x) => model.run(x) };
  },
  async "jointscope webgpu"(m) {
    await initGpu();
    const model = await GpuModel.create(m.palm, m.landmark, "webgpu");
    return { version: "burn 0.22 wgpu (WebGPU)", run: (x) => model.run(x) };
  },
  "onnxruntime-web wasm": (m) => ortRuntime(m, "wasm"),
  "onnxruntime-web webgpu": (m) => ortRuntime(m, "webgpu"),
};

async function ortRuntime(m, ep) {
  ort.env.wasm.wasmPaths = new URL("./ort/", import.meta.url).href;
  // One thread, like our bundle (the page is not cross-origin isolated, so there are no threads anyway).
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(m.onnx, { executionProviders: [ep] });
  const [input] = session.inputNames;
  // tflite2onnx keeps the TFLite output order: landmarks, presence, handedness, world landmarks.
  const [landmarks, presence, handedness] = session.outputNames;
  return {
    version: `onnxruntime-web ${ort.env.versions.web} ${ep}${ep === "wasm" ? " (1 thread, SIMD)" : ""}`,
    async run(x) {
      const out = await session.run({ [input]: new ort.Tensor("float32", x, [1, 3, SIDE, SIDE]) });
      const v = new Float32Array(65);
      v.set(out[landmarks].data);
      v[63] = out[presence].data[0];
      v[64] = out[handedness].data[0];
      return v;
    },
  };
}

window.bench = async ({ count = 8, repeats = 5, runtimes = Object.keys(makers) } = {}) => {
  const models = {
    palm: await bytes("models/palm_detection_full.tflite"),
    landmark: await bytes("models/hand_landmark_full.tflite"),
    onnx: await bytes("models/hand_landmark_full.onnx"),
  };
  const xs = inputs(count, 23);
  const figures = [];
  let reference = null;
  for (const name of runtimes) {
    try {
      const t0 = performance.now();
      const rt = await makers[name]({ palm: models.palm.slice(), landmark: models.landmark.slice(), onnx: models.onnx.slice() });
      const loadMs = performance.now() - t0;
      const times = [];
      const outputs = [];
      let first = 0;
      for (const x of xs) {
        for (let r = 0; r <= repeats; r++) {
          const t = performance.now();
          const y = await rt.run(x);
          const ms = performance.now() - t;
          if (r === 0) {
            outputs.push(y);
            if (outputs.length === 1) first = ms;
          } else times.push(ms);
        }
      }
      // Agreement with the first runtime (our CPU bundle): largest landmark difference in input
      // pixels, and largest presence/handedness score difference.
      reference ??= outputs;
      let landmarkDiff = 0, scoreDiff = 0;
      outputs.forEach((y, i) => y.forEach((v, k) => {
        const d = Math.abs(v - reference[i][k]);
        if (k < 63) landmarkDiff = Math.max(landmarkDiff, d); else scoreDiff = Math.max(scoreDiff, d);
      }));
      const fig = { runtime: name, version: rt.version, load_ms: loadMs, first_ms: first, median_ms: median(times),
        repetitions: times.length, landmark_diff_px: landmarkDiff, score_diff: scoreDiff };
      log(JSON.stringify(fig));
      figures.push(fig);
    } catch (e) {
      log(`${name}: ${e}`);
      figures.push({ runtime: name, error: String(e?.message ?? e) });
    }
  }
  return figures;
};
document.body.dataset.ready = "1";
