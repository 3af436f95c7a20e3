// The patient page's one state object: every module reads and writes the page's state here, and
// holds none of its own. `document.body.dataset` mirrors parts of it for tests; nothing reads it back.
import { showBusy } from "./dom.js";

export const state = {
  /** The JointDetector once it started; null before, or where it could not start. */
  detector: null,
  /** The last photo judged: { detection, bitmap, showAnyway }, or null. */
  current: null,
  /** The check being put together: per side, { hand, threshold } or null. */
  check: { left: null, right: null },
  /** A photo is being judged (the camera's check waits meanwhile). */
  busy: false,
  /** A new version of the page took over: reload once the open check is kept or dropped. */
  updatePending: false,
  /** Object URLs of the kept checks' thumbnails as last drawn (revoked at the next drawing). */
  thumbnails: [],
};

/** Make `next` the current photo, freeing the previous photo's pixels at once (not at the next GC). */
export function replaceCurrent(next) {
  if (state.current?.bitmap && state.current.bitmap !== next?.bitmap) state.current.bitmap.close();
  state.current = next;
}

/** Mark a photo as being judged, or done. */
export function setBusy(busy) {
  state.busy = busy;
  showBusy(busy);
}

/** Whether reloading now would lose something: a check under way or a photo being judged. */
export const checkOpen = () => Boolean(state.check.left || state.check.right || state.busy);

/** Drop the check being put together. */
export function clearCheck() {
  state.check = { left: null, right: null };
}
