// Earlier results, kept only in this browser (IndexedDB). No photo is stored: only the date, the
// hands and each joint's probability and verdict, and a small thumbnail the user can delete.
import { JOINTS } from "./pkg/index.js";
import { objectStore } from "./idb.js";
const tx = objectStore("jointscope", "results", { keyPath: "id", autoIncrement: true });

/**
 * Store one check: { date, model, weights (SHA-256), threshold, retakeDifference, meaning (what a
 * flag meant for those weights), hands: [{ handedness, joints: [{ name, probability, inflamed }],
 * verdict: { score, flagged } or null (the whole hand's, where the weights give one) }], thumbnail }.
 */
export function add(record) {
  return tx("readwrite", (s) => s.add(record));
}

/** Every stored result, oldest first. */
export function all() {
  return tx("readonly", (s) => s.getAll());
}

export function remove(id) {
  return tx("readwrite", (s) => s.delete(id));
}

export function clear() {
  return tx("readwrite", (s) => s.clear());
}

const NAMES = new Set(JOINTS);

/** A whole hand's verdict from a file: { score in 0..1, flagged }. */
function parseVerdict(v, where) {
  if (!(typeof v?.score === "number" && v.score >= 0 && v.score <= 1)) throw new Error(`${where}: a hand's verdict needs a score in 0..1`);
  return { score: v.score, flagged: Boolean(v.flagged) };
}

/** A record from an exported file, checked field by field; throws a readable Error naming what is wrong. */
export function parseRecord(r, k) {
  const where = `check ${k + 1}`;
  if (!r || typeof r !== "object") throw new Error(`${where} is not an object`);
  if (typeof r.date !== "string" || Number.isNaN(Date.parse(r.date))) throw new Error(`${where} has no valid date`);
  if (!Array.isArray(r.hands) || r.hands.length === 0 || r.hands.length > 2) throw new Error(`${where} must have one or two hands`);
  const hands = r.hands.map((h) => {
    if (h?.handedness !== "left" && h?.handedness !== "right") throw new Error(`${where}: handedness must be "left" or "right"`);
    if (!Array.isArray(h.joints) || h.joints.length > JOINTS.length) throw new Error(`${where}: joints must be a list of at most ${JOINTS.length}`);
    return {
      handedness: h.handedness,
      joints: h.joints.map((j) => {
        if (!NAMES.has(j?.name)) throw new Error(`${where}: unknown joint ${JSON.stringify(j?.name)}`);
        if (!(typeof j.probability === "number" && j.probability >= 0 && j.probability <= 1)) throw new Error(`${where}: ${j.name}'s probability must be a number in 0..1`);
        return { name: j.name, probability: j.probability, inflamed: Boolean(j.inflamed) };
      }),
      verdict: h.verdict == null ? null : parseVerdict(h.verdict, where),
    };
  });
  const number = (v) => (typeof v === "number" && v >= 0 && v <= 1 ? v : null);
  return {
    date: new Date(r.date).toISOString(),
    model: typeof r.model === "string" ? r.model.slice(0, 200) : "",
    weights: typeof r.weights === "string" ? r.weights.slice(0, 64) : "",
    threshold: number(r.threshold) ?? 0.5,
    retakeDifference: number(r.retakeDifference),
    meaning: typeof r.meaning === "string" ? r.meaning.slice(0, 1000) : null,
    hands,
  };
}

/**
 * Every stored check that reads as a check, oldest first, and how many did not (a corrupted entry
 * is skipped, never deleted: { records, unreadable }). Each record keeps its id and thumbnail.
 */
export async function readAll() {
  const records = [];
  let unreadable = 0;
  for (const [k, r] of (await all()).entries()) {
    try {
      const thumbnail = r.thumbnail instanceof Uint8Array ? r.thumbnail : null;
      records.push({ ...parseRecord(r, k), id: r.id, thumbnail });
    } catch {
      unreadable += 1;
    }
  }
  return { records, unreadable };
}

/**
 * Add the checks of an exported history file (its parsed JSON) that are not stored yet (same date
 * and weights). Everything is checked before anything is stored, and all are stored in one
 * transaction: all or nothing. Returns how many were added.
 */
export async function importRecords(data) {
  if (!Array.isArray(data)) throw new Error("not a jointscope history file (expected a list of checks)");
  if (data.length > 10000) throw new Error(`${data.length} checks is more than a history file holds`);
  const records = data.map(parseRecord);
  const have = new Set((await all()).map((r) => `${r.date}|${r.weights ?? ""}`));
  const fresh = records.filter((r) => !have.has(`${r.date}|${r.weights}`));
  await tx("readwrite", (s) => {
    for (const r of fresh) s.add(r);
  });
  return fresh.length;
}
