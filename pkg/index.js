// @ts-check: tests/contracts.test.mjs checks this file (with strictNullChecks) against protocol.d.ts,
// the messages to the worker, and engine.js and worker.js (strict) against the binding's declarations.
// jointscope: per-joint inflammation detection in hand photos, in the browser. Nothing leaves
// the page: the photo, the weights and the models are processed by WebAssembly on this device.
import { createEngine, typedError, webgpuAvailable, simdAvailable, RETRYABLE } from "./engine.js";

// Literal URLs, so bundlers (Vite, webpack 5) copy the model files along.
const DEFAULT_MODELS = {
  palm: new URL("./models/palm_detection_full.tflite", import.meta.url),
  landmark: new URL("./models/hand_landmark_full.tflite", import.meta.url),
};
// A GPU that traps inside the wasm can leave its start unsettled: a first choice gets this long.
const START_DEADLINE_MS = 30_000;

/**
 * The joints judged on each hand, by their names in results (`joint`), in the order of a hand's
 * `joints`. The same as the bundle's (a test checks), so a page can use it before any detector exists.
 */
export const JOINTS = Object.freeze(["MCP1", "MCP2", "MCP3", "MCP4", "MCP5", "PIP2", "PIP3", "PIP4", "PIP5", "IP", "WRIST"]);

/** The bones between the 21 hand landmarks (`landmarks`), as index pairs; the same as the bundle's (tested). */
export const HAND_CONNECTIONS = Object.freeze(
  [[0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [5, 9], [9, 10],
   [10, 11], [11, 12], [9, 13], [13, 14], [14, 15], [15, 16], [13, 17], [17, 18], [18, 19], [19, 20]].map(Object.freeze),
);

async function bytesOf(source, what) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Blob !== "undefined" && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  if (typeof source === "string" || source instanceof URL) {
    let response;
    try {
      response = await fetch(source);
    } catch (e) {
      throw typedError("NetworkError", `${what}: could not fetch ${source} (${e.message})`);
    }
    if (!response.ok) throw typedError("NetworkError", `${what}: ${source} answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  throw typedError("InputError", `${what}: expected a URL, ArrayBuffer, Uint8Array or Blob`);
}

/** Turn any supported image source into what the engine takes: encoded bytes or RGBA pixels. */
async function toInput(source, limits) {
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    return { bytes: new Uint8Array(await source.arrayBuffer()), owned: true };
  }
  if (typeof ImageData !== "undefined" && source instanceof ImageData) {
    return { rgba: new Uint8Array(source.data.buffer, source.data.byteOffset, source.data.byteLength), width: source.width, height: source.height };
  }
  const width = source?.naturalWidth ?? source?.videoWidth ?? source?.displayWidth ?? source?.width;
  const height = source?.naturalHeight ?? source?.videoHeight ?? source?.displayHeight ?? source?.height;
  if (!(width > 0 && height > 0)) {
    throw typedError("ImageError", "expected an ImageBitmap, ImageData, canvas, image, video frame or Blob with a size");
  }
  // Checked before the pixels are drawn: the limits are the wasm's own (jointscope_data::image_io).
  if (width * height > limits.maxPixels) {
    throw typedError("ImageError", `the image has ${((width * height) / 1e6).toFixed(1)} megapixels; at most ${limits.maxPixels / 1e6} are accepted`);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) throw typedError("UnsupportedError", "this browser cannot draw the image to read its pixels (no 2D OffscreenCanvas)");
  ctx.drawImage(source, 0, 0);
  const data = ctx.getImageData(0, 0, width, height);
  return { rgba: new Uint8Array(data.data.buffer), width, height, owned: true };
}

// How long a worker may go without answering a photo before it is taken for dead (killed for
// memory, its GPU device lost): far above any detection measured (0.2-0.7 s on the CPU bundle,
// about 7 s on SwiftShader's emulated GPU), to leave room for slow phones.
const ANSWER_TIMEOUT_MS = 120_000;

class WorkerClient {
  constructor(answerTimeoutMs) {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.pending = new Map();
    this.next = 0;
    this.answerTimeoutMs = answerTimeoutMs;
    this.dead = null;
    /** @param {MessageEvent<import("./protocol.js").Reply>} event */
    this.worker.onmessage = ({ data: reply }) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      clearTimeout(p?.timer);
      if (reply.ok) p?.resolve(reply.value);
      else p?.reject(typedError(/** @type {import("./index.js").JointscopeErrorName} */ (reply.error.name), reply.error.message));
    };
    this.worker.onerror = (e) => this.#die("WorkerError", e.message || "the detector worker failed");
    this.worker.onmessageerror = () => this.#die("WorkerError", "the detector worker sent a message that could not be read");
  }

  /** The worker is gone, stuck or closed: every call waiting on it, and every later one, fails with `name`. */
  #die(name, reason) {
    this.dead ??= typedError(name, reason);
    this.worker.terminate();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.dead);
    }
    this.pending.clear();
  }

  /**
   * Send `op`; a photo's call (`watched`) that gets no answer within the answer timeout kills the worker.
   * @template {import("./protocol.js").Operation} K
   * @param {K} op
   * @param {import("./protocol.js").Operations[K]["args"]} [args]
   * @param {Transferable[]} [transfer]
   * @param {boolean} [watched]
   * @returns {Promise<import("./protocol.js").Operations[K]["value"]>}
   */
  call(op, args, transfer = [], watched = false) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = watched
        ? setTimeout(() => this.#die("WorkerError", `the detector stopped answering (nothing within ${this.answerTimeoutMs / 1000} s)`), this.answerTimeoutMs)
        : undefined;
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  close() {
    this.#die("StateError", "the detector is closed");
  }
}

/** A detector started in a Web Worker, with the same face as an engine on the main thread. */
async function startInWorker(options, answerTimeoutMs) {
  const client = new WorkerClient(answerTimeoutMs);
  try {
    const info = await client.call("create", options);
    return {
      ...info,
      setOptions: (change) => client.call("setOptions", change),
      detect: (input, transfer) => client.call("detect", input, transfer, true),
      detectForVideo: (input, transfer) => client.call("detectForVideo", input, transfer, true),
      judge: (bytes, joints) => client.call("judge", { bytes, joints }, [], true),
      memoryBytes: () => client.call("memoryBytes"),
      close: () => client.close(),
    };
  } catch (e) {
    client.close();
    throw e;
  }
}

function deadline(promise, ms, name) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(typedError("BackendError", `${name} did not start within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * The one fallback path: the backends to try in order — "auto" is WebGPU then the CPU where a
 * hardware adapter exists, else the CPU alone (so the WebGPU bundle is never fetched) — each
 * started by `start`; a later one is tried only after an error in RETRYABLE.
 */
async function startWithFallback(backend, start) {
  if (!["auto", "webgpu", "cpu"].includes(backend)) {
    throw typedError("InputError", `backend must be "auto", "webgpu" or "cpu", not ${JSON.stringify(backend)}`);
  }
  const order = backend === "auto" ? ((await webgpuAvailable()) ? ["webgpu", "cpu"] : ["cpu"]) : [backend];
  let fallbackReason;
  for (const [i, name] of order.entries()) {
    const last = i + 1 === order.length;
    try {
      const started = await (last ? start(name) : deadline(start(name), START_DEADLINE_MS, name));
      return { started, fallbackReason };
    } catch (e) {
      if (last || !RETRYABLE.has(e?.name)) throw e;
      fallbackReason = `WebGPU failed (${e.name}: ${e.message}); using the CPU`;
    }
  }
  throw typedError("BackendError", "no backend could start");
}

/**
 * Finds hands in a photo and judges each joint (MCP1–5, PIP2–5, IP, wrist) for signs of
 * inflammation with jointscope's exported weights. Research software, not a medical device.
 */
export class JointDetector extends EventTarget {
  #engine;
  #options;
  #start;
  /** @type {Promise<void> | null} */
  #restarting = null;

  constructor(token, engine, fallbackReason, options, start) {
    super();
    if (token !== JointDetector.#token) throw typedError("StateError", "use JointDetector.create()");
    this.#engine = engine;
    this.#options = { ...options, ...engine.options };
    this.#start = start;
    /** "webgpu" or "cpu". */
    this.backend = engine.backend;
    /** Why "auto" fell back to the CPU, or why the detector was restarted on it, if it was. */
    this.fallbackReason = fallbackReason;
    /** How many times the detector died under a call and was started afresh on the CPU. */
    this.restarts = 0;
    /** The weights' sidecar: threshold, training data, notice. */
    this.sidecar = engine.sidecar;
    /** The limits photos are checked against. */
    this.limits = engine.limits;
    /** What a flagged joint (`inflamed: true`) means for these weights, in words a patient can use. */
    this.meaning = engine.meaning;
  }

  static #token = Symbol("create");

  /**
   * options.weights: URL of jointscope.bpk, or its bytes. options.sidecar: URL or bytes of
   * jointscope.json (default: next to a weights URL). options.models: folder URL of the MediaPipe
   * .tflite files (default: this package's models/). options.backend: "auto" | "webgpu" | "cpu".
   * options.worker: run in a Web Worker (default true). options.mirrored: the photos are mirror
   * images (front-camera selfies). options.maxHands, minPalmScore, minPresence: detection
   * settings (see `setOptions`, which changes any of these later). options.answerTimeoutMs: how
   * long a photo may go unanswered by the worker before it is taken for dead (default 120 000).
   */
  static async create(options = {}) {
    const { weights, backend = "auto", worker = typeof Worker !== "undefined", mirrored = false, answerTimeoutMs = ANSWER_TIMEOUT_MS } = options;
    if (weights === undefined) throw typedError("InputError", "options.weights is required");
    if (!(Number.isFinite(answerTimeoutMs) && answerTimeoutMs > 0)) throw typedError("InputError", "options.answerTimeoutMs must be a positive number of milliseconds");
    const sidecarSource =
      options.sidecar ??
      (typeof weights === "string" || weights instanceof URL
        ? new URL("jointscope.json", new URL(weights, globalThis.location?.href))
        : undefined);
    if (sidecarSource === undefined) throw typedError("InputError", "options.sidecar is required when weights are bytes");
    const base = options.models === undefined ? null : new URL(options.models, globalThis.location?.href);
    const models = base
      ? { palm: new URL("palm_detection_full.tflite", base), landmark: new URL("hand_landmark_full.tflite", base) }
      : DEFAULT_MODELS;
    const [w, s, palm, landmark] = await Promise.all([
      bytesOf(weights, "weights"),
      // A parsed sidecar (a plain object) is encoded back; anything else is read like the weights.
      sidecarSource?.constructor === Object
        ? new TextEncoder().encode(JSON.stringify(sidecarSource))
        : bytesOf(sidecarSource, "sidecar"),
      bytesOf(models.palm, "palm detection model"),
      bytesOf(models.landmark, "hand landmark model"),
    ]);
    const files = { weights: w, sidecar: s, palm, landmark };
    // A GPU failure can take its worker down (a trap inside wasm): each try gets a fresh one,
    // started with the detection settings in force.
    const start = worker
      ? (b, settings) => startInWorker({ backend: b, files, options: settings }, answerTimeoutMs)
      : (b, settings) => createEngine({ backend: b, files, options: settings });
    const settings = detectionSettings(options);
    const { started, fallbackReason } = await startWithFallback(backend, (b) => start(b, settings));
    return new JointDetector(JointDetector.#token, started, fallbackReason, { mirrored: Boolean(mirrored) }, start);
  }

  /**
   * `call(engine)` on the engine; where the engine died under it (its worker killed or stuck:
   * WorkerError) or its GPU failed mid-photo (any backend error on WebGPU), a fresh engine is
   * started on the CPU, a "restart" event says why, and the call runs once more on it.
   */
  async #run(call) {
    const engine = this.#engine;
    if (!engine) throw typedError("StateError", "the detector is closed");
    try {
      return await call(engine);
    } catch (e) {
      const dead = e?.name === "WorkerError" || (engine.backend === "webgpu" && ["InternalError", "BackendError", "RuntimeError"].includes(e?.name));
      if (!dead) throw e;
      // Calls that were waiting on the same engine share one restart.
      if (this.#engine === engine) this.#restarting ??= this.#restart(e).finally(() => (this.#restarting = null));
      await this.#restarting;
      if (!this.#engine) throw typedError("StateError", "the detector is closed");
      return call(this.#engine);
    }
  }

  async #restart(cause) {
    const from = this.backend === "webgpu" ? "WebGPU" : "the CPU";
    const fresh = await this.#start("cpu", detectionSettings(this.#options));
    if (!this.#engine) {
      fresh.close(); // closed while it started
      return;
    }
    this.#engine.close();
    this.#engine = fresh;
    this.backend = "cpu";
    this.restarts += 1;
    this.fallbackReason = `the detector on ${from} failed (${cause.name}: ${cause.message}); it was restarted on the CPU`;
    this.dispatchEvent(new CustomEvent("restart", { detail: { reason: this.fallbackReason } }));
  }

  /** Every option in force: { mirrored, maxHands, minPalmScore, minPresence }. */
  get options() {
    return { ...this.#options };
  }

  /**
   * Change options (MediaPipe's `setOptions`); options left out keep their value. `mirrored`
   * alone applies at once, to the photos passed after this call; with any detection setting
   * (`maxHands`, `minPalmScore`, `minPresence`) everything applies to the photos passed once the
   * promise resolves. A setting out of range or unknown rejects with an InputError and changes
   * nothing.
   */
  async setOptions(options = {}) {
    const { mirrored, ...change } = options ?? {};
    if (Object.keys(change).length) {
      const now = await this.#run((engine) => engine.setOptions(change));
      this.#options = { ...this.#options, ...now };
    }
    if (mirrored !== undefined) this.#options = { ...this.#options, mirrored: Boolean(mirrored) };
  }

  /**
   * Detect in an ImageBitmap, ImageData, canvas, OffscreenCanvas, <img>, <video>, VideoFrame or a
   * Blob/File (decoded by jointscope itself, EXIF orientation honoured). Resolves to a Detection
   * (see index.d.ts: the types are generated from the Rust structs the wasm returns).
   */
  async detect(source) {
    // The options as they are when detect is called, whatever setOptions does meanwhile.
    const { mirrored } = this.#options;
    return this.#run(async (engine) => {
      // Made afresh for each try: buffers made here move to the worker (a caller's ImageData is copied, never detached).
      const { owned, ...input } = await toInput(source, this.limits);
      return engine.detect({ ...input, mirrored }, owned ? [(input.bytes ?? input.rgba).buffer] : []);
    });
  }

  /**
   * Video mode, for a live camera's capture check: one frame of a stream (a `<video>`, VideoFrame,
   * canvas, ImageBitmap or ImageData) at `timestamp` milliseconds (increasing, e.g.
   * `performance.now()`). The hand of the previous frame is followed into this one, palm detection
   * runs only when it is lost, and only the landmarks and the capture check run (no verdicts).
   * Resolves to a FrameCheck: { width, height, timestampMs, tracked, hands: [{ handedness,
   * handednessScore, presence, landmarks, quality }] }.
   */
  async detectForVideo(source, timestamp) {
    if (!this.#engine) throw typedError("StateError", "the detector is closed");
    if (typeof Blob !== "undefined" && source instanceof Blob) {
      throw typedError("InputError", "detectForVideo takes a video frame, canvas, ImageBitmap or ImageData, not an encoded file (use detect)");
    }
    if (!Number.isFinite(timestamp)) throw typedError("InputError", "detectForVideo needs the frame's timestamp in milliseconds");
    const { mirrored } = this.#options;
    return this.#run(async (engine) => {
      const { owned, ...input } = await toInput(source, this.limits);
      // (A Blob, the one source toInput gives bytes for, was refused above.)
      return engine.detectForVideo({ ...input, mirrored, timestamp }, owned ? [/** @type {Uint8Array} */ (input.rgba).buffer] : []);
    });
  }

  /**
   * Judge joints at known positions (no landmark step) in an encoded photo (Blob or bytes).
   * joints: [{ joint: "MCP2", x, y }] in photo pixels. Resolves to one verdict per joint.
   */
  async judge(photo, joints) {
    if (!this.#engine) throw typedError("StateError", "the detector is closed");
    const bytes = await bytesOf(photo, "photo");
    return this.#run((engine) => engine.judge(bytes, joints));
  }

  /**
   * Bytes of WebAssembly memory the detector holds now: its high-water mark, since wasm memory
   * grows and never shrinks (after a restart, the fresh engine's).
   */
  async memoryBytes() {
    if (!this.#engine) throw typedError("StateError", "the detector is closed");
    return this.#engine.memoryBytes();
  }

  /** Free the models (and the worker). */
  close() {
    this.#engine?.close();
    this.#engine = null;
  }
}

/**
 * The detection settings among a detector's options (the rest apply per photo in this file).
 * @param {import("./protocol.js").Operations["setOptions"]["args"]} options
 */
function detectionSettings({ maxHands, minPalmScore, minPresence }) {
  return Object.fromEntries(Object.entries({ maxHands, minPalmScore, minPresence }).filter(([, v]) => v !== undefined));
}

export { webgpuAvailable, simdAvailable };
export { ERROR_NAMES } from "./errors.js";
