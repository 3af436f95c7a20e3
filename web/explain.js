// What the page tells a person for each kind of failure (pkg/errors.js lists them; a test checks
// every one is here). The page keeps working after any of them.
const RELOAD = "Reload the page; if it persists, the page needs to be reinstalled.";

export const EXPLANATIONS = Object.freeze({
  ImageError: (m) => `This photo could not be used: ${m}.`,
  InputError: (m) => `This photo could not be used: ${m}.`,
  WeightsError: (m) => `The model files on this page are damaged or do not match (${m}). ${RELOAD}`,
  SidecarError: (m) => `The model files on this page are damaged or do not match (${m}). ${RELOAD}`,
  ModelError: (m) => `The hand models on this page are damaged (${m}). ${RELOAD}`,
  NetworkError: (m) => `A model file could not be loaded (${m}). Check the connection once; afterwards the page works offline.`,
  BackendError: (m) => `The computation failed (${m}).`,
  InternalError: (m) => `The detector failed on this photo (${m}). Try the photo again or take another.`,
  StateError: (m) => `The detector is not running (${m}). Reload the page.`,
  WorkerError: (m) => `The detector stopped working (${m}). Reload the page.`,
  UnsupportedError: (m) => `This browser is too old for this page: ${m}.`,
  ProtocolError: (m) => `The page and its detector do not match (${m}). ${RELOAD}`,
});

/** A readable message for error `e`. */
export function explain(e) {
  const say = EXPLANATIONS[e?.name];
  return say ? say(e.message) : `Something went wrong: ${e?.message ?? e}`;
}
