/** Where a backend failed, what kind of input was bad, …: switch on `error.name`. */
export type JointscopeErrorName =
  | "SidecarError" | "WeightsError" | "ModelError" | "ImageError" | "InputError"
  | "BackendError" | "NetworkError" | "InternalError" | "StateError" | "WorkerError";

export type Backend = "auto" | "webgpu" | "cpu";
export type Bytes = ArrayBuffer | Uint8Array | Blob;

export interface CreateOptions {
  /** URL of jointscope.bpk (from `jointscope export`), or its bytes. */
  weights: string | URL | Bytes;
  /** URL or bytes of jointscope.json, or the parsed object; default: next to a weights URL. */
  sidecar?: string | URL | Bytes | object;
  /** Folder URL holding palm_detection_full.tflite and hand_landmark_full.tflite; default: this package's models/. */
  models?: string | URL;
  /** "auto" (default): WebGPU on a hardware adapter, else (no adapter, a software one, or a failed start) the CPU bundle. */
  backend?: Backend;
  /** Run in a Web Worker so the page stays responsive (default: true where workers exist). */
  worker?: boolean;
  /** The photos are mirror images (front-camera selfies). */
  mirrored?: boolean;
}

export type ImageSource = ImageBitmap | ImageData | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement | HTMLVideoElement | VideoFrame | Blob;

export interface HeatMap {
  /** Cells per side (8). */
  size: number;
  /** size × size evidence values, row-major; their mean plus a constant is the joint's logit. */
  values: Float32Array;
  /** The photo region the map covers: centre, side and rotation (radians), in photo pixels. */
  box: { x: number; y: number; side: number; angle: number };
}

export interface JointResult {
  /** "MCP1"…"MCP5", "PIP2"…"PIP5", "IP" (thumb), "WRIST". */
  name: string;
  /** Joint centre in photo pixels. */
  x: number;
  y: number;
  /** Calibrated probability of inflammation (0..1). */
  probability: number;
  /** probability ≥ threshold (the threshold chosen on validation data, from the weights' sidecar). */
  inflamed: boolean;
  threshold: number;
  logit: number;
  heatmap: HeatMap;
}

export interface HandResult {
  handedness: "left" | "right";
  handednessScore: number;
  presence: number;
  /** The 21 MediaPipe hand landmarks in photo pixels (z: relative depth). */
  landmarks: { x: number; y: number; z: number }[];
  joints: JointResult[];
}

export interface Detection {
  /** Size of the photo the coordinates refer to. */
  width: number;
  height: number;
  /** Empty when no hand was found. */
  hands: HandResult[];
}

/** Research software, not a medical device: results do not diagnose anything. */
export declare class JointDetector {
  private constructor();
  static create(options: CreateOptions): Promise<JointDetector>;
  /** The backend in use. */
  readonly backend: "webgpu" | "cpu";
  /** Why "auto" fell back to the CPU, when it did. */
  readonly fallbackReason?: string;
  /** The weights' sidecar (threshold, training data, notice). */
  readonly sidecar: Record<string, unknown>;
  detect(source: ImageSource): Promise<Detection>;
  /** Judge joints at known positions (no landmark step) in an encoded photo. */
  judge(photo: Bytes | string | URL, joints: { joint: string; x: number; y: number }[]): Promise<JointResult[]>;
  close(): void;
}

export declare function webgpuAvailable(): Promise<boolean>;
