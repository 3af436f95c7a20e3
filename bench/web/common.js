// Helpers shared by the benchmark page's modules (landmarks.js, stages.js).

/** A served file's bytes; an HTTP error is an error. */
export async function bytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

export const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
