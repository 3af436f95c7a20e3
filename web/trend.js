// The saved checks over time: one small chart per joint and hand (small multiples), the threshold
// dashed, and every change between two checks larger than the weights' retake difference (what
// retaking the same photo moves a probability by) drawn thick and listed.
import { JOINT_ORDER, colour, verdict } from "./diagram.js";

const NS = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

/** Per check (oldest first): { date, threshold, retake, hands: { left: { MCP1: p }, right } }. */
export function series(records) {
  return [...records]
    .sort((a, b) => new Date(a.date) - new Date(b.date))
    .map((r) => {
      const hands = { left: null, right: null };
      for (const h of r.hands ?? []) hands[h.handedness] = Object.fromEntries(h.joints.map((j) => [j.name, j.probability]));
      return { date: r.date, threshold: r.threshold ?? 0.5, retake: r.retakeDifference ?? null, hands };
    });
}

/** Changes between consecutive checks of one joint larger than the retake difference. */
export function changes(checks) {
  const out = [];
  for (const side of ["left", "right"]) {
    for (const joint of JOINT_ORDER) {
      let prev = null;
      for (const c of checks) {
        const p = c.hands[side]?.[joint];
        if (p == null) continue;
        const limit = c.retake;
        const here = { p, date: c.date, threshold: c.threshold };
        if (prev && limit != null && Math.abs(p - prev.p) > limit) out.push({ side, joint, from: prev, to: here, limit });
        prev = here;
      }
    }
  }
  return out;
}

function chart(checks, side, joint) {
  const w = 96;
  const h = 44;
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, class: "spark", role: "img" });
  const pts = checks.map((c, i) => ({ i, c, p: c.hands[side]?.[joint] })).filter((x) => x.p != null);
  const x = (i) => (checks.length < 2 ? w / 2 : 6 + (i * (w - 12)) / (checks.length - 1));
  const y = (p) => h - 6 - p * (h - 14);
  const threshold = checks.at(-1)?.threshold ?? 0.5;
  el("line", { x1: 2, x2: w - 2, y1: y(threshold), y2: y(threshold), stroke: "#999", "stroke-dasharray": "3 2", "stroke-width": 0.8 }, svg);
  for (let k = 1; k < pts.length; k++) {
    const [a, b] = [pts[k - 1], pts[k]];
    const big = b.c.retake != null && Math.abs(b.p - a.p) > b.c.retake;
    el("line", { x1: x(a.i), y1: y(a.p), x2: x(b.i), y2: y(b.p), stroke: big ? "#c62828" : "#555", "stroke-width": big ? 2.5 : 1 }, svg).dataset.change = big ? "1" : "0";
  }
  for (const q of pts) {
    el("circle", { cx: x(q.i), cy: y(q.p), r: 2.5, fill: colour(q.p, q.c.threshold) }, svg).dataset.point = "1";
  }
  const t = el("text", { x: 3, y: 9, "font-size": 8, fill: "#222" }, svg);
  t.textContent = joint;
  const values = pts.map((q) => `${new Date(q.c.date).toLocaleDateString()} ${verdict(q.p, q.c.threshold)} (score ${q.p.toFixed(2)})`).join(", ");
  svg.setAttribute("aria-label", `${side} ${joint}: ${values || "not checked"}`);
  svg.dataset.joint = joint;
  svg.dataset.hand = side;
  svg.dataset.points = String(pts.length);
  return svg;
}

/** The trend view of `records` (history records) as a DOM fragment. */
export function trend(records) {
  const checks = series(records);
  const root = document.createElement("div");
  root.className = "trend";
  if (checks.length === 0) {
    root.textContent = "No saved checks yet.";
    return root;
  }
  for (const side of ["left", "right"]) {
    if (!checks.some((c) => c.hands[side])) continue;
    const fig = document.createElement("figure");
    const cap = document.createElement("figcaption");
    cap.textContent = `${side === "left" ? "Left" : "Right"} hand, ${checks.length} check${checks.length === 1 ? "" : "s"} from ${new Date(checks[0].date).toLocaleDateString()} to ${new Date(checks.at(-1).date).toLocaleDateString()}`;
    fig.appendChild(cap);
    const grid = document.createElement("div");
    grid.className = "spark-grid";
    for (const joint of JOINT_ORDER) grid.appendChild(chart(checks, side, joint));
    fig.appendChild(grid);
    root.appendChild(fig);
  }
  const moved = changes(checks);
  const p = document.createElement("p");
  p.className = "changes";
  const retake = checks.at(-1).retake;
  if (retake == null) {
    p.textContent = "These weights do not say how much a retaken photo varies, so no change is highlighted.";
  } else if (moved.length === 0) {
    p.textContent = `No joint's score changed by more than retaking a photo can (${retake.toFixed(2)}).`;
  } else {
    p.textContent = `Scores changed by more than retaking a photo can (${retake.toFixed(2)}): ` +
      moved.map((m) => `${m.side} ${m.joint} ${m.from.p.toFixed(2)} → ${m.to.p.toFixed(2)}, ${verdict(m.to.p, m.to.threshold)} (${new Date(m.to.date).toLocaleDateString()})`).join("; ") + ".";
  }
  root.appendChild(p);
  return root;
}
