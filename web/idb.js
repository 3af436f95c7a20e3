// IndexedDB in one place for the pages' stores: a database holding one object store, and
// transactions that resolve when they commit (and reject, keeping nothing, when they abort or
// when the function filling them throws).

/** The transaction runner of object store `name` in database `db` (created with `options`): tx(mode, f(store)). */
export function objectStore(db, name, options) {
  const open = () =>
    new Promise((resolve, reject) => {
      const req = indexedDB.open(db, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(name, options);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  return async function tx(mode, f) {
    const handle = await open();
    try {
      return await new Promise((resolve, reject) => {
        const t = handle.transaction(name, mode);
        let out;
        try {
          out = f(t.objectStore(name));
        } catch (e) {
          // Requests already made would otherwise commit: undo them all.
          t.onabort = () => reject(e);
          t.abort();
          return;
        }
        t.oncomplete = () => resolve(out?.result);
        t.onerror = () => reject(t.error);
        t.onabort = () => reject(t.error);
      });
    } finally {
      handle.close();
    }
  };
}
