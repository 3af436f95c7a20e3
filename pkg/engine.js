// One detector on one wasm bundle. Used inside the Web Worker (worker.js) and, with
// `worker: false`, on the main thread; index.js is the public face of both.

const BUNDLES = {
  webgpu: () => import("./wasm/webgpu/jointscope_wasm.js"),
  cpu: () => import("./wasm/cpu/jointscope_wasm.js"),
};

/**
 * Whether this browser offers a hardware WebGPU adapter. A fallback (software) adapter such as
 * SwiftShader ran the detector 13 times slower than the CPU bundle in our tests, so "auto" skips it.
 */
export async function webgpuAvailable() {
  try {
    const adapter = globalThis.navigator?.gpu && (await navigator.gpu.requestAdapter());
    return Boolean(adapter) && !(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter);
  } catch {
    return false;
  }
}

/** An Error with a `name` the caller can switch on. */
export function typedError(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

// Errors that say the backend, not the inputs, failed: worth retrying on the CPU.
const BACKEND_FAILURES = new Set(["BackendError", "RuntimeError", "CompileError", "LinkError", "TypeError"]);

/**
 * Load a bundle and build a detector. `files`: { palm, landmark, sidecar, weights } as Uint8Array.
 * backend "auto" tries WebGPU when a hardware adapter exists and falls back to the CPU bundle when
 * WebGPU fails to start; "webgpu" or "cpu" use that one only (a software adapter included).
 */
export async function createEngine({ backend = "auto", files, mirrored = false }) {
  if (!["auto", "webgpu", "cpu"].includes(backend)) {
    throw typedError("InputError", `backend must be "auto", "webgpu" or "cpu", not ${JSON.stringify(backend)}`);
  }
  const order = backend === "auto" ? ((await webgpuAvailable()) ? ["webgpu", "cpu"] : ["cpu"]) : [backend];
  let fallbackReason;
  for (const [i, name] of order.entries()) {
    try {
      const mod = await BUNDLES[name]();
      await mod.default();
      const creating = mod.JointDetector.create(files.palm, files.landmark, files.sidecar, files.weights, name, mirrored);
      // A GPU that traps inside the wasm can leave the promise unsettled: give "auto" a deadline.
      const detector = i + 1 < order.length ? await deadline(creating, WEBGPU_START_MS, name) : await creating;
      return new Engine(detector, name, fallbackReason, { backend: name, files, mirrored });
    } catch (e) {
      const err = asError(e);
      if (i + 1 < order.length && BACKEND_FAILURES.has(err.name)) {
        fallbackReason = `WebGPU failed (${err.message}); using the CPU`;
        continue;
      }
      throw err;
    }
  }
  throw typedError("BackendError", "no backend could start");
}

const WEBGPU_START_MS = 30_000;

function deadline(promise, ms, name) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(typedError("BackendError", `${name} did not start within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function asError(e) {
  if (e instanceof Error) return e;
  return typedError("Error", String(e));
}

class Engine {
  constructor(detector, backend, fallbackReason, recipe) {
    this.detector = detector;
    this.backend = backend;
    this.fallbackReason = fallbackReason;
    this.recipe = recipe;
    this.sidecar = JSON.parse(detector.sidecar);
  }

  /** input: { bytes } (an encoded PNG/JPEG) or { rgba, width, height }. Resolves to a Detection. */
  async detect(input) {
    const json = await this.#guard(() =>
      input.bytes ? this.detector.detectEncoded(input.bytes) : this.detector.detectRgba(input.rgba, input.width, input.height),
    );
    return toDetection(JSON.parse(json), this.sidecar);
  }

  /** Judge given joint positions in an encoded photo. joints: [{ joint, x, y }]. */
  async judge(bytes, joints) {
    const json = await this.#guard(() => this.detector.judgeEncoded(bytes, JSON.stringify(joints)));
    return JSON.parse(json).map((v) => toJoint(v, this.sidecar));
  }

  // A trap inside wasm (which our Rust never means to raise) leaves the instance unusable:
  // rebuild it so the next photo works, and report a readable error for this one.
  async #guard(call) {
    try {
      return await call();
    } catch (e) {
      const err = asError(e);
      if (err.name === "RuntimeError") {
        try {
          const fresh = await createEngine(this.recipe);
          this.detector = fresh.detector;
        } catch {
          /* the next call reports it */
        }
        throw typedError("InternalError", `the detector failed on this photo and was restarted (${err.message})`);
      }
      throw err;
    }
  }

  close() {
    this.detector?.free?.();
    this.detector = null;
  }
}

function toJoint(v, sidecar) {
  return {
    name: v.joint,
    x: v.position.x,
    y: v.position.y,
    probability: v.probability,
    inflamed: v.inflamed,
    threshold: sidecar.threshold,
    logit: v.logit,
    heatmap: {
      size: Math.round(Math.sqrt(v.heatmap.length)),
      values: Float32Array.from(v.heatmap),
      box: { x: v.heatmap_box.center.x, y: v.heatmap_box.center.y, side: v.heatmap_box.side, angle: v.heatmap_box.angle },
    },
  };
}

function toDetection(d, sidecar) {
  return {
    width: d.width,
    height: d.height,
    hands: d.hands.map((h) => ({
      handedness: h.handedness === "Left" ? "left" : "right",
      handednessScore: h.handedness_score,
      presence: h.presence,
      landmarks: h.landmarks.map(([x, y, z]) => ({ x, y, z })),
      joints: h.joints.map((v) => toJoint(v, sidecar)),
    })),
  };
}
