// The checks kept in this browser (history.js's store): keeping the check being put together,
// reading them back, deleting, exporting and importing them, and telling the page's other tabs.
import * as history from "./history.js";
import { status } from "./dom.js";
import { state } from "./state.js";

const tabs = "BroadcastChannel" in globalThis ? new BroadcastChannel("jointscope-history") : null;

/** Tell the page's other tabs that the kept checks changed. */
const changed = () => tabs?.postMessage("changed");

/** Call `then` whenever another tab of this page keeps, deletes or imports checks. */
export function onChangedElsewhere(then) {
  if (tabs) tabs.onmessage = then;
}

/** Delete one kept check, and tell the other tabs. */
export async function remove(id) {
  await history.remove(id);
  changed();
}

/** Delete every kept check, and tell the other tabs. */
export async function clearAll() {
  await history.clear();
  changed();
}

/** A 96-pixel JPEG of the photo, kept with its check. */
async function thumbnail(bitmap) {
  const s = 96 / Math.max(bitmap.width, bitmap.height);
  const c = new OffscreenCanvas(Math.round(bitmap.width * s), Math.round(bitmap.height * s));
  c.getContext("2d").drawImage(bitmap, 0, 0, c.width, c.height);
  const blob = await c.convertToBlob({ type: "image/jpeg", quality: 0.7 });
  return new Uint8Array(await blob.arrayBuffer());
}

/**
 * Keep the check being put together in this browser (with the last photo's thumbnail); true when
 * it was kept, false (said on the status line, the check left open) when it could not be.
 */
export async function save() {
  const { check, current } = state;
  const sides = ["left", "right"].filter((s) => check[s]);
  if (sides.length === 0) return false;
  const sidecar = state.detector?.sidecar ?? {};
  const record = {
    date: new Date().toISOString(),
    model: sidecar.producer ?? "",
    weights: sidecar.weights?.sha256 ?? "",
    threshold: check[sides[0]].threshold,
    retakeDifference: sidecar.retake_difference ?? null,
    meaning: current?.detection.meaning ?? null,
    hands: sides.map((s) => ({
      handedness: s,
      joints: check[s].hand.joints.map((j) => ({ name: j.joint, probability: j.probability, inflamed: j.inflamed })),
      verdict: check[s].hand.verdict ?? null,
    })),
    thumbnail: current?.bitmap ? await thumbnail(current.bitmap) : null,
  };
  try {
    await history.add(record);
  } catch (e) {
    const why = e?.name === "QuotaExceededError"
      ? "this browser's storage for the page is full. Delete older checks (export them first if you want them) and keep the check again"
      : `this browser does not let the page store it (${e?.message ?? e}; private mode?)`;
    status(`The check could not be kept: ${why}. It stays open here until then.`, "error");
    return false;
  }
  changed();
  return true;
}

/** The stored checks that read as checks and how many did not ({ records, unreadable }), or null where nothing can be stored. */
export async function stored() {
  try {
    return await history.readAll();
  } catch {
    return null;
  }
}

export const records = async () => (await stored())?.records ?? null;

/** Download every kept check (without thumbnails) as jointscope-history.json. */
export async function exportHistory() {
  const list = ((await records()) ?? []).map(({ thumbnail, id, ...r }) => r);
  const blob = new Blob([JSON.stringify(list, null, 2)], { type: "application/json" });
  const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: "jointscope-history.json" });
  a.click();
  URL.revokeObjectURL(a.href);
}

/** Add the checks of an exported history file not already kept: all or none, said on the status line. */
export async function importHistory(file) {
  try {
    if (file.size > 20 << 20) throw new Error(`${file.size} bytes is larger than a history file`);
    let data;
    try {
      data = JSON.parse(await file.text());
    } catch {
      throw new Error("not a JSON file");
    }
    const n = await history.importRecords(data);
    if (n) changed();
    status(`Imported ${n} check${n === 1 ? "" : "s"} from ${file.name}${n < data.length ? ` (${data.length - n} already here)` : ""}.`);
  } catch (e) {
    status(`${file.name} could not be imported: ${e.message}. Nothing was changed.`, "error");
  }
}
