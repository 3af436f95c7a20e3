// The messages between the package (index.js) and its Web Worker (worker.js), in the types that
// wasm-bindgen and tsify generate from the Rust binding (crates/wasm/src/binding.rs). worker.js,
// engine.js and index.js are checked against them by `tsc --checkJs` (tests/contracts.test.mjs):
// an operation the worker lacks, an argument the binding does not take or an answer of another
// shape fails that check. Not shipped: nothing imports it at run time.
import type { Detection, DetectionOptions, FrameCheck, JointAt, JointVerdict, PhotoLimits, Sidecar } from "./wasm/cpu/jointscope_wasm.js";
import type { JointscopeErrorName } from "./index.js";

export type EngineBackend = "webgpu" | "cpu";

/** The four model files, as bytes. */
export interface ModelFiles {
  palm: Uint8Array;
  landmark: Uint8Array;
  sidecar: Uint8Array;
  weights: Uint8Array;
}

/** What a started detector tells the package about itself. */
export interface EngineInfo {
  backend: EngineBackend;
  sidecar: Sidecar;
  limits: PhotoLimits;
  meaning: string;
  options: DetectionOptions;
}

/** A photo: an encoded file's bytes or RGBA pixels, and whether it is a mirror image. */
export type PhotoInput = ({ bytes: Uint8Array } | { rgba: Uint8Array; width: number; height: number }) & { mirrored: boolean };

/** A video frame's RGBA pixels at `timestamp` milliseconds. */
export interface FrameInput {
  rgba: Uint8Array;
  width: number;
  height: number;
  timestamp: number;
  mirrored: boolean;
}

/** Each operation the worker has: what it is sent (`args`) and what it answers (`value`). */
export interface Operations {
  create: { args: { backend: EngineBackend; files: ModelFiles; options?: DetectionOptions }; value: EngineInfo };
  setOptions: { args: DetectionOptions; value: DetectionOptions };
  detect: { args: PhotoInput; value: Detection };
  detectForVideo: { args: FrameInput; value: FrameCheck };
  memoryBytes: { args: undefined; value: number };
  judge: { args: { bytes: Uint8Array; joints: JointAt[] }; value: JointVerdict[] };
}

export type Operation = keyof Operations;

/** A message to the worker. */
export type Request = { [K in Operation]: { id: number; op: K; args: Operations[K]["args"] } }[Operation];

/** What some operation answers. */
export type Answer = Operations[Operation]["value"];

/**
 * The worker's answer to the request of the same `id`. An error's name is one of
 * JointscopeErrorName for everything the package and the binding raise, or a JavaScript error's own.
 */
export type Reply = { id: number; ok: true; value: Answer } | { id: number; ok: false; error: { name: JointscopeErrorName | (string & {}); message: string } };

/** What the worker runs for each operation. */
export type Handlers = { [K in Operation]: (args: Operations[K]["args"]) => Promise<Operations[K]["value"]> };
