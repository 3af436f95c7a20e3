// jointscope: per-joint inflammation detection in hand photos, in the browser. Nothing leaves
// the page: the photo, the weights and the models are processed by WebAssembly on this device.
import { createEngine, typedError } from "./engine.js";

// Literal URLs, so bundlers (Vite, webpack 5) copy the model files along.
const DEFAULT_MODELS = {
  palm: new URL("./models/palm_detection_full.tflite", import.meta.url),
  landmark: new URL("./models/hand_landmark_full.tflite", import.meta.url),
};
const MAX_PIXELS = 50_000_000;
const RETRY_ON_CPU = new Set(["BackendError", "RuntimeError", "WorkerError", "InternalError", "TypeError", "Error"]);

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
async function toInput(source) {
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
  if (width * height > MAX_PIXELS) {
    throw typedError("ImageError", `the image has ${((width * height) / 1e6).toFixed(1)} megapixels; at most 50 are accepted`);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0);
  const data = ctx.getImageData(0, 0, width, height);
  return { rgba: new Uint8Array(data.data.buffer), width, height, owned: true };
}

class WorkerClient {
  constructor() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.pending = new Map();
    this.next = 0;
    this.worker.onmessage = ({ data: { id, ok, value, error } }) => {
      const p = this.pending.get(id);
      this.pending.delete(id);
      if (ok) p?.resolve(value);
      else p?.reject(typedError(error.name, error.message));
    };
    this.worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(typedError("WorkerError", e.message || "the detector worker failed"));
      this.pending.clear();
    };
  }

  call(op, args, transfer = []) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  terminate() {
    this.worker.terminate();
  }
}

/**
 * Finds hands in a photo and judges each joint (MCP1–5, PIP2–5, IP, wrist) for signs of
 * inflammation with jointscope's exported weights. Research software, not a medical device.
 */
export class JointDetector {
  #engine;
  #client;

  constructor(token, engine, client, info) {
    if (token !== JointDetector.#token) throw typedError("StateError", "use JointDetector.create()");
    this.#engine = engine;
    this.#client = client;
    /** "webgpu" or "cpu". */
    this.backend = info.backend;
    /** Why "auto" fell back to the CPU, if it did. */
    this.fallbackReason = info.fallbackReason;
    /** The weights' sidecar: threshold, training data, notice. */
    this.sidecar = info.sidecar;
  }

  static #token = Symbol("create");

  /**
   * options.weights: URL of jointscope.bpk, or its bytes. options.sidecar: URL or bytes of
   * jointscope.json (default: next to a weights URL). options.models: folder URL of the MediaPipe
   * .tflite files (default: this package's models/). options.backend: "auto" | "webgpu" | "cpu".
   * options.worker: run in a Web Worker (default true). options.mirrored: selfie photos.
   */
  static async create(options = {}) {
    const { weights, backend = "auto", worker = typeof Worker !== "undefined", mirrored = false } = options;
    if (weights === undefined) throw typedError("InputError", "options.weights is required");
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
    if (worker) {
      const start = async (b) => {
        const client = new WorkerClient();
        try {
          return [client, await client.call("create", { backend: b, files, mirrored })];
        } catch (e) {
          client.terminate();
          throw e;
        }
      };
      try {
        const [client, info] = await start(backend);
        return new JointDetector(JointDetector.#token, null, client, info);
      } catch (e) {
        // A GPU failure can take its worker down (a trap inside wasm): with "auto", start over on
        // the CPU in a fresh worker. Bad weights, models or photos are not retried.
        if (backend !== "auto" || !RETRY_ON_CPU.has(e.name)) throw e;
        const [client, info] = await start("cpu");
        info.fallbackReason = `WebGPU failed (${e.message}); using the CPU`;
        return new JointDetector(JointDetector.#token, null, client, info);
      }
    }
    const engine = await createEngine({ backend, files, mirrored });
    return new JointDetector(JointDetector.#token, engine, null, engine);
  }

  /**
   * Detect in an ImageBitmap, ImageData, canvas, OffscreenCanvas, <img>, <video>, VideoFrame or a
   * Blob/File (decoded by jointscope itself, EXIF orientation honoured). Resolves to
   * { width, height, hands: [{ handedness, handednessScore, presence, landmarks, joints }] };
   * each joint: { name, x, y, probability, inflamed, threshold, heatmap }.
   */
  async detect(source) {
    const input = await toInput(source);
    // Buffers made here move to the worker; a caller's ImageData is copied, never detached.
    const { owned, ...message } = input;
    if (this.#client) return this.#client.call("detect", message, owned ? [(message.bytes ?? message.rgba).buffer] : []);
    if (!this.#engine) throw typedError("StateError", "the detector is closed");
    return this.#engine.detect(message);
  }

  /**
   * Judge joints at known positions (no landmark step) in an encoded photo (Blob or bytes).
   * joints: [{ joint: "MCP2", x, y }] in photo pixels. Resolves to one result per joint.
   */
  async judge(photo, joints) {
    const bytes = await bytesOf(photo, "photo");
    if (this.#client) return this.#client.call("judge", { bytes, joints });
    if (!this.#engine) throw typedError("StateError", "the detector is closed");
    return this.#engine.judge(bytes, joints);
  }

  /** Free the models (and the worker). */
  close() {
    this.#client?.terminate();
    this.#engine?.close();
    this.#client = this.#engine = null;
  }
}

export { webgpuAvailable } from "./engine.js";
