// ZIP archives, in the browser, with nothing sent anywhere: written uncompressed ("stored": photos
// are JPEG already), read stored or deflated (the browser's DecompressionStream), every entry's
// CRC-32 checked. Enough for the collection's export and import; no ZIP64 (under 4 GiB).

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as ZIP uses) of bytes. */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An Error whose name says the file is not a usable archive. */
function broken(message) {
  const e = new Error(message);
  e.name = "ArchiveError";
  return e;
}

/** DOS date and time of a Date, as ZIP headers keep them. */
function dosTime(d) {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((Math.max(1980, d.getFullYear()) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/**
 * A ZIP file (Blob) of `files`: [{ name, bytes: Uint8Array }], stored uncompressed, names UTF-8,
 * in the order given.
 */
export function zip(files, when = new Date()) {
  const { time, date } = dosTime(when);
  const enc = new TextEncoder();
  const parts = [];
  const central = [];
  let offset = 0;
  for (const { name, bytes } of files) {
    const n = enc.encode(name);
    const crc = crc32(bytes);
    const local = new DataView(new ArrayBuffer(30));
    [[0, 0x04034b50, 4], [4, 20, 2], [6, 0x0800, 2], [8, 0, 2], [10, time, 2], [12, date, 2], [14, crc, 4],
      [18, bytes.length, 4], [22, bytes.length, 4], [26, n.length, 2], [28, 0, 2]].forEach(([at, v, size]) => set(local, at, v, size));
    const entry = new DataView(new ArrayBuffer(46));
    [[0, 0x02014b50, 4], [4, 20, 2], [6, 20, 2], [8, 0x0800, 2], [10, 0, 2], [12, time, 2], [14, date, 2], [16, crc, 4],
      [20, bytes.length, 4], [24, bytes.length, 4], [28, n.length, 2], [42, offset, 4]].forEach(([at, v, size]) => set(entry, at, v, size));
    parts.push(local, n, bytes);
    central.push(entry, n);
    offset += 30 + n.length + bytes.length;
  }
  const size = central.reduce((s, p) => s + p.byteLength, 0);
  if (offset + size > 0xffffffff) throw broken("the collection is larger than 4 GiB, more than one ZIP file holds: export it in parts");
  const end = new DataView(new ArrayBuffer(22));
  [[0, 0x06054b50, 4], [8, files.length, 2], [10, files.length, 2], [12, size, 4], [16, offset, 4]].forEach(([at, v, s]) => set(end, at, v, s));
  return new Blob([...parts, ...central, end], { type: "application/zip" });
}

function set(view, at, value, size) {
  if (size === 2) view.setUint16(at, value, true);
  else view.setUint32(at, value >>> 0, true);
}

/**
 * The entries of a ZIP file's bytes: Map name → Uint8Array. Refuses, with an ArchiveError saying
 * why, anything that is not a ZIP, an entry compressed otherwise than deflate, a name that climbs
 * out of the archive, and an entry whose bytes do not match their CRC-32.
 */
export async function unzip(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEnd(view);
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const dec = new TextDecoder("utf-8", { fatal: false });
  const out = new Map();
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw broken("its table of contents is damaged");
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const packed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const [nameLen, extraLen, commentLen] = [28, 30, 32].map((k) => view.getUint16(at + k, true));
    const local = view.getUint32(at + 42, true);
    const name = dec.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    at += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith("/")) continue;
    if (name.startsWith("/") || name.split("/").includes("..") || name.includes("\\")) throw broken(`it names a file outside itself (${name})`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) throw broken(`${name}: its entry is damaged`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + packed > bytes.length) throw broken(`${name} is cut off`);
    const data = await inflate(bytes.subarray(start, start + packed), method, name);
    if (data.length !== size || crc32(data) !== crc) throw broken(`${name} is damaged (its checksum does not match)`);
    out.set(name, data);
  }
  return out;
}

/** The offset of the end-of-central-directory record, searched from the end (a comment may follow it). */
function findEnd(view) {
  for (let at = view.byteLength - 22; at >= Math.max(0, view.byteLength - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === 0x06054b50) return at;
  }
  throw broken("it is not a ZIP file");
}

async function inflate(data, method, name) {
  if (method === 0) return data;
  if (method !== 8) throw broken(`${name} is compressed in a way this page cannot read (method ${method}); store or deflate it`);
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    throw broken(`${name} is damaged (it does not decompress)`);
  }
}
