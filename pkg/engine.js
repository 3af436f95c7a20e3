// @ts-check
// One detector on one wasm bundle, on exactly the backend it is given. Used inside the Web Worker
// (worker.js) and, with `worker: false`, on the main thread; index.js chooses the backend and
// falls back, for both.

/** @typedef {typeof import("./wasm/cpu/jointscope_wasm.js")} Bundle */
/** @typedef {import("./wasm/cpu/jointscope_wasm.js").JointDetector} WasmDetector */
/**
 * What this file uses of a bundle, which both bundles' generated declarations have.
 * @typedef {{ default: () => Promise<{ memory: WebAssembly.Memory }>, JointDetector: { create: Bundle["JointDetector"]["create"] }, limits: Bundle["limits"] }} Loaded
 */
/** @typedef {import("./protocol.js").Operations} Operations */

/** @type {Record<import("./protocol.js").EngineBackend, () => Promise<Loaded>>} */
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
    // (TypeScript's DOM library has no WebGPU types: the little used here, declared.)
    /** @type {{ requestAdapter(): Promise<{ isFallbackAdapter?: boolean, info?: { isFallbackAdapter?: boolean } } | null> } | undefined} */
    const gpu = /** @type {any} */ (globalThis.navigator)?.gpu;
    const adapter = gpu && (await gpu.requestAdapter());
    return adapter ? !(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) : false;
  } catch {
    return false;
  }
}

// The smallest module using a SIMD instruction (i8x16.splat, i8x16.popcnt): the bundles are built
// with WebAssembly SIMD, which every current browser has (Chrome 91, Firefox 89, Safari 16.4).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** Whether this browser runs WebAssembly SIMD, which both bundles need. */
export function simdAvailable() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * An Error with a `name` the caller can switch on.
 * @param {import("./index.js").JointscopeErrorName | "Error"} name
 * @param {string} message
 */
export function typedError(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

/**
 * Errors that say the backend, not the inputs, failed — the only ones "auto" retries on the CPU:
 * WebGPU would not start (BackendError), the wasm trapped (RuntimeError), the bundle would not
 * compile or link (CompileError, LinkError), or the worker died with it (WorkerError). Bad weights,
 * models or photos fail the same way on every backend and are never retried.
 */
export const RETRYABLE = new Set(["BackendError", "RuntimeError", "CompileError", "LinkError", "WorkerError"]);

/**
 * @param {unknown} e
 * @returns {Error}
 */
function asError(e) {
  return e instanceof Error ? e : typedError("Error", String(e));
}

/**
 * Load the bundle of `backend` ("webgpu" or "cpu") and build a detector on it, warmed up.
 * `files`: { palm, landmark, sidecar, weights } as Uint8Array; `options`: detection settings
 * ({ maxHands, minPalmScore, minPresence }, any subset) to start with.
 * @param {Operations["create"]["args"]} recipe
 * @returns {Promise<Engine>}
 */
export async function createEngine({ backend, files, options = {} }) {
  if (!(backend in BUNDLES)) throw typedError("InputError", `backend must be "webgpu" or "cpu", not ${JSON.stringify(backend)}`);
  if (!simdAvailable()) {
    throw typedError("UnsupportedError", "this browser cannot run WebAssembly SIMD; a browser from 2023 or later can (Chrome 91, Firefox 89, Safari 16.4)");
  }
  let mod;
  try {
    mod = await BUNDLES[backend]();
  } catch (e) {
    // A server that has only the CPU bundle (the demo serves it while the WebGPU one builds):
    // a backend failure, so "auto" goes on with the CPU.
    throw typedError("BackendError", `the ${backend} bundle could not be loaded (${asError(e).message})`);
  }
  try {
    const { memory } = await mod.default();
    const detector = await mod.JointDetector.create(files.palm, files.landmark, files.sidecar, files.weights, backend);
    detector.setOptions(options);
    return new Engine(detector, mod.limits(), { backend, files }, memory);
  } catch (e) {
    throw asError(e);
  }
}

export class Engine {
  /** Why the detector is gone, when a rebuild failed. @type {string | undefined} */
  lost;

  /**
   * @param {WasmDetector} detector
   * @param {import("./protocol.js").EngineInfo["limits"]} limits
   * @param {Operations["create"]["args"]} recipe
   * @param {WebAssembly.Memory} memory
   */
  constructor(detector, limits, recipe, memory) {
    /** @type {WasmDetector | null} */
    this.detector = detector;
    this.memory = memory;
    /** @type {import("./protocol.js").EngineBackend} */
    this.backend = recipe.backend;
    this.recipe = recipe;
    this.limits = limits;
    this.sidecar = detector.sidecar;
    this.meaning = detector.meaning;
    /** @type {import("./wasm/cpu/jointscope_wasm.js").DetectionOptions} */
    this.options = detector.options;
  }

  /**
   * Change detection settings ({ maxHands, minPalmScore, minPresence }, any subset) from the next
   * photo on; returns every setting now in force. Out-of-range or unknown settings: InputError.
   * @param {Operations["setOptions"]["args"]} change
   * @returns {Operations["setOptions"]["value"]}
   */
  setOptions(change) {
    const detector = this.#live();
    detector.setOptions(change);
    this.options = detector.options;
    return this.options;
  }

  /**
   * input: { bytes } (an encoded PNG/JPEG) or { rgba, width, height }, and `mirrored` (a selfie).
   * Resolves to a Detection.
   * @param {Operations["detect"]["args"]} input
   * @returns {Promise<Operations["detect"]["value"]>}
   */
  detect(input) {
    const mirrored = Boolean(input.mirrored);
    return this.#guard((detector) =>
      "bytes" in input ? detector.detectEncoded(input.bytes, mirrored) : detector.detectRgba(input.rgba, input.width, input.height, mirrored),
    );
  }

  /**
   * Video mode: input { rgba, width, height, timestamp, mirrored }, one frame of a stream, its hand
   * followed from the previous frame's. Resolves to a FrameCheck (landmarks and capture check only).
   * @param {Operations["detectForVideo"]["args"]} input
   * @returns {Promise<Operations["detectForVideo"]["value"]>}
   */
  detectForVideo(input) {
    return this.#guard((detector) => detector.detectForVideo(input.rgba, input.width, input.height, input.timestamp, Boolean(input.mirrored)));
  }

  /**
   * Bytes of WebAssembly memory the bundle holds now (its high-water mark: wasm memory never shrinks).
   * @returns {number}
   */
  memoryBytes() {
    return this.memory.buffer.byteLength;
  }

  /**
   * Judge given joint positions in an encoded photo. joints: [{ joint, x, y }].
   * @param {Uint8Array} bytes
   * @param {Operations["judge"]["args"]["joints"]} joints
   * @returns {Promise<Operations["judge"]["value"]>}
   */
  judge(bytes, joints) {
    return this.#guard((detector) => detector.judgeEncoded(bytes, joints));
  }

  // A trap inside wasm (which our Rust never means to raise) leaves the instance unusable:
  // rebuild it so the next photo works, and report a readable error for this one. Where the
  // rebuild fails too, this call says so and every later call is refused with the reason.
  /**
   * @template T
   * @param {(detector: WasmDetector) => Promise<T>} call
   * @returns {Promise<T>}
   */
  async #guard(call) {
    try {
      return await call(this.#live());
    } catch (e) {
      const err = asError(e);
      if (err.name === "RuntimeError") {
        try {
          this.detector = (await createEngine({ ...this.recipe, options: this.options })).detector;
        } catch (r) {
          this.detector = null;
          this.lost = `the detector failed and could not be restarted (${asError(r).message}): start a new one`;
          throw typedError("InternalError", `the detector failed on this photo (${err.message}) and could not be restarted (${asError(r).message})`);
        }
        throw typedError("InternalError", `the detector failed on this photo and was restarted (${err.message})`);
      }
      throw err;
    }
  }

  /** The detector, or a StateError saying why there is none (closed, or lost in a failed rebuild). */
  #live() {
    if (!this.detector) throw typedError("StateError", this.lost ?? "the detector is closed");
    return this.detector;
  }

  close() {
    this.detector?.free();
    this.detector = null;
  }
}
