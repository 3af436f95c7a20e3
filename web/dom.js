// The DOM helpers the pages' modules share.

/** The element of this id. */
export const $ = (id) => document.getElementById(id);

/** Say `text` on the page's status line (a live region); `kind`: "", "warn" or "error". */
export function status(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

/** Mirror whether a photo is being judged in `data-busy` (read by tests, never by the page). */
export function showBusy(busy) {
  if (busy) document.body.dataset.busy = "1";
  else delete document.body.dataset.busy;
}

/** A paragraph holding `text`. */
export const paragraph = (text) => Object.assign(document.createElement("p"), { textContent: text });
