// The result types are generated from the Rust structs the wasm returns (tsify, in the bundle's
// own declarations); this file adds only the JavaScript API around them.
import type { Detection, HandResult, JointVerdict, JointAt, CropBox, Point, Sidecar, PhotoLimits, Hand, Joint, Quality, Check, Familiarity, FeatureModel, FrameCheck, FrameHand, HandRule, HandScore, HandVerdict, TrainingPhotos, DetectionOptions } from "./wasm/cpu/jointscope_wasm.js";
export type { Detection, HandResult, JointVerdict, JointAt, CropBox, Point, Sidecar, PhotoLimits, Hand, Joint, Quality, Check, Familiarity, FeatureModel, FrameCheck, FrameHand, HandRule, HandScore, HandVerdict, TrainingPhotos, DetectionOptions };

/** Where a backend failed, what kind of input was bad, …: switch on `error.name`. */
export type JointscopeErrorName =
  | "SidecarError" | "WeightsError" | "ModelError" | "ImageError" | "InputError"
  | "BackendError" | "NetworkError" | "InternalError" | "StateError" | "WorkerError" | "UnsupportedError" | "ProtocolError";

export type Backend = "auto" | "webgpu" | "cpu";
export type Bytes = ArrayBuffer | Uint8Array | Blob;

export interface CreateOptions extends DetectionOptions {
  /** URL of jointscope.bpk (from `jointscope export`), or its bytes. */
  weights: string | URL | Bytes;
  /** URL or bytes of jointscope.json, or the parsed object; default: next to a weights URL. */
  sidecar?: string | URL | Bytes | Sidecar;
  /** Folder URL holding palm_detection_full.tflite and hand_landmark_full.tflite; default: this package's models/. */
  models?: string | URL;
  /** "auto" (default): WebGPU on a hardware adapter, else (no adapter, a software one, or a failed start) the CPU bundle. */
  backend?: Backend;
  /** Run in a Web Worker so the page stays responsive (default: true where workers exist). */
  worker?: boolean;
  /** The photos are mirror images (front-camera selfies); `setOptions` changes it later. */
  mirrored?: boolean;
  /**
   * How long (ms) a photo may go unanswered by the worker before the worker is taken for dead
   * (killed for memory, its GPU device lost) and replaced by a fresh one on the CPU; default 120 000.
   */
  answerTimeoutMs?: number;
}

/** Sent when the detector died under a call and was started afresh on the CPU (the call is then retried once). */
export interface RestartEvent extends Event {
  readonly detail: { readonly reason: string };
}

/** What `setOptions` changes: the detection settings (generated from Rust) and `mirrored`. */
export interface DetectOptions extends DetectionOptions {
  /** The photos are mirror images (front-camera selfies): handedness is swapped back. */
  mirrored?: boolean;
}

/** The joints judged on each hand, by their `joint` names, in the order of a hand's `joints`. */
export declare const JOINTS: readonly Joint[];
/** Every name a detector's error can carry. */
export declare const ERROR_NAMES: readonly JointscopeErrorName[];
/** The bones between the 21 hand landmarks, as pairs of indices into `landmarks`. */
export declare const HAND_CONNECTIONS: readonly (readonly [number, number])[];

export type ImageSource = ImageBitmap | ImageData | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement | HTMLVideoElement | VideoFrame | Blob;

/** Research software, not a medical device: results do not diagnose anything. */
export declare class JointDetector extends EventTarget {
  private constructor();
  static create(options: CreateOptions): Promise<JointDetector>;
  /** The backend in use. */
  readonly backend: "webgpu" | "cpu";
  /** Why "auto" fell back to the CPU, or why the detector was restarted on it, when it was. */
  readonly fallbackReason?: string;
  /** How many times the detector died under a call (worker killed or stuck, GPU lost) and was restarted on the CPU. */
  readonly restarts: number;
  addEventListener(type: "restart", listener: (event: RestartEvent) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  /** The weights' sidecar (threshold, training data, notice). */
  readonly sidecar: Sidecar;
  /** The limits every photo is checked against. */
  readonly limits: PhotoLimits;
  /**
   * What a flagged joint (`inflamed: true`) means for these weights, in words a patient can use:
   * how many inflamed joints they found and how many healthy ones they flagged on their own test
   * photos. The same sentence as every detection's `meaning`.
   */
  readonly meaning: string;
  detect(source: ImageSource): Promise<Detection>;
  /**
   * Video mode for a live camera's capture check: the previous frame's hand followed into this
   * frame (palm detection only when it is lost); landmarks and capture check only, no verdicts.
   * `timestamp`: milliseconds, increasing (e.g. `performance.now()`).
   */
  detectForVideo(source: Exclude<ImageSource, Blob>, timestamp: number): Promise<FrameCheck>;
  /** Every option in force. */
  readonly options: Required<DetectOptions>;
  /**
   * Change options (MediaPipe's `setOptions`); those left out keep their value. `mirrored` alone
   * applies at once; with a detection setting, everything applies to the photos passed once the
   * promise resolves. Out of range or unknown: rejects with an InputError, nothing changed.
   */
  setOptions(options: DetectOptions): Promise<void>;
  /** Judge joints at known positions (no landmark step) in an encoded photo. */
  judge(photo: Bytes | string | URL, joints: JointAt[]): Promise<JointVerdict[]>;
  /** Bytes of WebAssembly memory the detector holds now (its high-water mark: wasm memory never shrinks). */
  memoryBytes(): Promise<number>;
  close(): void;
}

export declare function webgpuAvailable(): Promise<boolean>;
/** Whether this browser runs WebAssembly SIMD, which jointscope's bundles need. */
export declare function simdAvailable(): boolean;
