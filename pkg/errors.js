// Every name a detector's error can carry (`error.name`), in one place. The first six come from
// the Rust binding (crates/wasm/src/binding.rs maps each DetectError to one); the rest are raised
// by this package. index.d.ts's JointscopeErrorName and the page's explanations are checked
// against this list by tests/contracts.test.mjs.
export const ERROR_NAMES = Object.freeze([
  "SidecarError",
  "WeightsError",
  "ModelError",
  "ImageError",
  "InputError",
  "BackendError",
  "NetworkError",
  "InternalError",
  "StateError",
  "WorkerError",
  "UnsupportedError",
  "ProtocolError",
]);
