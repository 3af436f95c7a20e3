// Earlier results, kept only in this browser (IndexedDB). No photo is stored: only the date, the
// hands and each joint's probability and verdict, and a small thumbnail the user can delete.
const DB = "jointscope";
const STORE = "results";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, f) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const out = f(t.objectStore(STORE));
      t.oncomplete = () => resolve(out?.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

/** Store one result: { date, hands: [{ handedness, joints: [{ name, probability, inflamed }] }], thumbnail }. */
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
