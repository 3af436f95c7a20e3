// A clinic's collection of labelled hand photos, kept in this browser (IndexedDB) until exported:
// per visit a pseudonymous patient code and date, each hand's photo with the landmarks found on it,
// and each of the 22 joints as the clinician examined it. The export is a ZIP the trainer reads as
// it is: manifest.csv in jointscope's format, visits.json with everything else, and the photos.
import { JOINTS } from "./pkg/index.js";
import { zip, unzip } from "./zip.js";
import { objectStore } from "./idb.js";

/** What a joint's swelling and tenderness can be marked as (CDISC's joint count: "not evaluable" ≠ "not examined"). */
export const FINDINGS = Object.freeze(["yes", "no", "not evaluable", "not examined"]);
/** The finding the manifest's `label` column carries: 1 swollen, 0 not, unknown otherwise. */
export const LABEL = "swelling";
export const FORMAT = "jointscope-collection";
export const VERSION = 1;
/** A patient code: letters, digits, `.`, `_`, `-`; never a name. */
export const PATIENT_CODE = /^[A-Za-z0-9._-]{1,40}$/;
const SIDES = ["left", "right"];
const TYPES = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp" };
const tx = objectStore("jointscope-collection", "visits", { keyPath: "id" });

/** Every stored visit, oldest first. */
export async function visits() {
  const all = await tx("readonly", (s) => s.getAll());
  return all.sort((a, b) => a.created.localeCompare(b.created));
}

/** Store a visit (checked first with `checkVisit`). */
export function save(visit) {
  checkVisit(visit, "the visit");
  return tx("readwrite", (s) => s.put(visit));
}

export function remove(id) {
  return tx("readwrite", (s) => s.delete(id));
}

/** A joint's examination, every joint "not examined". */
export function blankJoints() {
  const one = () => Object.fromEntries(JOINTS.map((j) => [j, { swelling: "not examined", tenderness: "not examined" }]));
  return { left: one(), right: one() };
}

/** Throws an Error naming what is wrong with a visit record (`where` names it in the message). */
export function checkVisit(v, where) {
  const fail = (what) => {
    throw new Error(`${where}: ${what}`);
  };
  if (!v || typeof v !== "object") fail("not a visit");
  if (typeof v.id !== "string" || !/^[A-Za-z0-9-]{8,64}$/.test(v.id)) fail("its id is missing or malformed");
  if (typeof v.patient !== "string" || !PATIENT_CODE.test(v.patient)) fail("the patient code must be 1–40 letters, digits, '.', '_' or '-'");
  if (typeof v.date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v.date) || Number.isNaN(Date.parse(v.date))) fail("the date must be YYYY-MM-DD");
  if (typeof v.created !== "string" || Number.isNaN(Date.parse(v.created))) fail("its creation time is missing");
  if (!SIDES.some((s) => v.hands?.[s])) fail("it has no photo");
  for (const side of SIDES) {
    const h = v.hands?.[side];
    if (h) checkHand(h, `${where}, ${side} hand`);
    for (const j of JOINTS) {
      const e = v.joints?.[side]?.[j];
      if (!e || !FINDINGS.includes(e.swelling) || !FINDINGS.includes(e.tenderness)) fail(`${side} ${j}: swelling and tenderness must each be one of ${FINDINGS.join(", ")}`);
    }
  }
}

function checkHand(h, where) {
  const fail = (what) => {
    throw new Error(`${where}: ${what}`);
  };
  if (!(h.photo instanceof Blob) || !(h.photo.type in TYPES)) fail("its photo must be a JPEG, PNG or WebP");
  if (!(Number.isInteger(h.width) && h.width > 0 && Number.isInteger(h.height) && h.height > 0)) fail("its size is missing");
  if (h.positions !== null) {
    const ok = h.positions && JOINTS.every((j) => Array.isArray(h.positions[j]) && h.positions[j].length === 2 && h.positions[j].every(Number.isFinite));
    if (!ok) fail("its joint positions must be an [x, y] per joint, or null when no hand was found");
  }
  if (h.landmarks !== null && !(Array.isArray(h.landmarks) && h.landmarks.length === 21)) fail("its landmarks must be 21 points, or null");
  if (typeof h.checkPassed !== "boolean") fail("whether it passed the capture check is missing");
}

/** The image's path inside the export. */
export function imagePath(visit, side) {
  return `images/${visit.patient}_${visit.date}_${visit.id.slice(0, 8)}_${side === "left" ? "L" : "R"}.${TYPES[visit.hands[side].photo.type]}`;
}

const LABELS = { yes: "1", no: "0" };

/** manifest.csv: one row per joint of every photo, label from the swelling, position from the landmarks. */
export function manifest(all) {
  const rows = ["image,patient_id,hand,view,joint,label,x,y"];
  for (const v of all) {
    for (const side of SIDES) {
      const h = v.hands[side];
      if (!h) continue;
      for (const j of JOINTS) {
        const p = h.positions?.[j];
        const [x, y] = p ? p.map((c) => c.toFixed(2)) : ["", ""];
        rows.push([imagePath(v, side), v.patient, side === "left" ? "L" : "R", "dorsal", j, LABELS[v.joints[side][j].swelling] ?? "unknown", x, y].join(","));
      }
    }
  }
  return `${rows.join("\n")}\n`;
}

/** visits.json: every visit without its photo bytes (their paths instead), and what the label means. */
function describe(all) {
  return {
    format: FORMAT,
    version: VERSION,
    exported: new Date().toISOString(),
    label: LABEL,
    labels: { 1: "swelling: yes", 0: "swelling: no", unknown: "swelling: not evaluable or not examined" },
    findings: FINDINGS,
    visits: all.map((v) => ({
      ...v,
      hands: Object.fromEntries(SIDES.filter((s) => v.hands[s]).map((s) => {
        const { photo, ...rest } = v.hands[s];
        return [s, { ...rest, image: imagePath(v, s), type: photo.type }];
      })),
    })),
  };
}

/** The whole collection as a ZIP: manifest.csv, visits.json, and images/. */
export async function exportZip(all) {
  const enc = new TextEncoder();
  const files = [
    { name: "manifest.csv", bytes: enc.encode(manifest(all)) },
    { name: "visits.json", bytes: enc.encode(JSON.stringify(describe(all), null, 1)) },
  ];
  for (const v of all) {
    for (const side of SIDES) {
      if (v.hands[side]) files.push({ name: imagePath(v, side), bytes: new Uint8Array(await v.hands[side].photo.arrayBuffer()) });
    }
  }
  return zip(files);
}

/** Visits read back from an export's bytes, every one checked; throws naming the first problem. */
export async function readExport(bytes) {
  const files = await unzip(bytes);
  const json = files.get("visits.json");
  if (!json) throw new Error("it holds no visits.json: not a jointscope collection export");
  let doc;
  try {
    doc = JSON.parse(new TextDecoder().decode(json));
  } catch {
    throw new Error("its visits.json is not JSON");
  }
  if (doc?.format !== FORMAT || !Array.isArray(doc.visits)) throw new Error("its visits.json is not a jointscope collection");
  if (doc.version > VERSION) throw new Error(`it was written by a newer version (${doc.version}); this page reads version ${VERSION}`);
  return doc.visits.map((v, k) => {
    const hands = {};
    for (const side of SIDES) {
      const h = v?.hands?.[side];
      if (!h) continue;
      const data = files.get(h.image);
      if (!data) throw new Error(`visit ${k + 1}: its ${side} photo ${h.image} is missing`);
      const { image, type, ...rest } = h;
      hands[side] = { ...rest, photo: new Blob([data], { type }) };
    }
    const visit = { ...v, hands };
    checkVisit(visit, `visit ${k + 1}`);
    return visit;
  });
}

/** Add the visits of an export not stored yet (by id), all in one transaction; returns [added, skipped]. */
export async function importVisits(incoming) {
  const have = new Set((await visits()).map((v) => v.id));
  const fresh = incoming.filter((v) => !have.has(v.id));
  await tx("readwrite", (s) => {
    for (const v of fresh) s.put(v);
  });
  return [fresh.length, incoming.length - fresh.length];
}
