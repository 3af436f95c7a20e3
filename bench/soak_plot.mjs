// Draws the page's memory through a long session (two runs of soak_web.mjs: before and after a
// change) as an SVG: the detector's wasm memory and Chromium's memory against the photos chosen.
// Usage: node soak_plot.mjs BEFORE.json AFTER.json OUT.svg
import { readFileSync, writeFileSync } from "node:fs";

const [before, after, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node soak_plot.mjs BEFORE.json AFTER.json OUT.svg");
  process.exit(2);
}
const MB = 1 << 20;
const runs = [
  { name: "before", dash: "6 4", soak: JSON.parse(readFileSync(before, "utf8")).soak },
  { name: "after", dash: "", soak: JSON.parse(readFileSync(after, "utf8")).soak },
];
const panels = [
  { title: "detector's wasm memory (MB)", key: "wasm_bytes", color: "#1f77b4" },
  { title: "Chromium's memory, PSS of all its processes (MB)", key: "browser_bytes", color: "#d62728" },
];
const [W, H, M] = [420, 300, { l: 56, r: 16, t: 34, b: 44 }];

/** One panel: both runs' samples of `key` over the photos (the camera's samples left out). */
function panel(p, x0) {
  const series = runs.map((r) => ({ ...r, pts: r.soak.samples.filter((s) => s.camera_s === 0).map((s) => [s.photos, s[p.key] / MB]) }));
  const xmax = Math.max(...series.flatMap((s) => s.pts.map((q) => q[0])));
  const ymax = niceMax(Math.max(...series.flatMap((s) => s.pts.map((q) => q[1]))));
  const X = (v) => x0 + M.l + (v / xmax) * (W - M.l - M.r);
  const Y = (v) => M.t + (1 - v / ymax) * (H - M.t - M.b);
  let g = `<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-size="14">${p.title}</text>`;
  for (let k = 0; k <= 4; k++) {
    const v = (ymax * k) / 4;
    g += `<line x1="${X(0)}" x2="${X(xmax)}" y1="${Y(v)}" y2="${Y(v)}" stroke="#ddd"/><text x="${X(0) - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(0)}</text>`;
  }
  for (let v = 0; v <= xmax; v += 50) g += `<text x="${X(v)}" y="${H - M.b + 16}" text-anchor="middle" font-size="11">${v}</text>`;
  g += `<text x="${x0 + M.l + (W - M.l - M.r) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">photos chosen in one tab</text>`;
  for (const s of series) {
    const d = s.pts.map((q, i) => `${i ? "L" : "M"}${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`).join(" ");
    g += `<path d="${d}" fill="none" stroke="${p.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`;
    g += s.pts.map((q) => `<circle cx="${X(q[0]).toFixed(1)}" cy="${Y(q[1]).toFixed(1)}" r="2.5" fill="${p.color}"/>`).join("");
    const last = s.pts.at(-1);
    g += `<text x="${X(last[0]) - 4}" y="${Y(last[1]) - 6}" text-anchor="end" font-size="11">${s.name} ${last[1].toFixed(1)}</text>`;
  }
  return g;
}

/** A round axis maximum above `v`. */
function niceMax(v) {
  const step = 10 ** Math.floor(Math.log10(v));
  return Math.ceil((v * 1.1) / step) * step;
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${panels.map((p, i) => panel(p, i * W)).join("\n")}
</svg>
`;
writeFileSync(out, svg);
console.log(`wrote ${out}`);
