// Both hands as one drawn diagram, seen from the back with the palms down (the patient's left hand
// on the left), each of the 22 joints coloured by its probability. Pure SVG, no photo.
const NS = "http://www.w3.org/2000/svg";

// Where each of the package's JOINTS sits on a right hand seen from the back, fingers up, thumb on
// the left, in a 100 × 130 box (the left hand is its mirror image), in diagram order: thumb,
// fingers from the index, wrist. A test checks these are exactly the package's joints.
const POSITIONS = {
  MCP1: [29, 84],
  IP: [17, 62],
  MCP2: [41, 58],
  PIP2: [37, 35],
  MCP3: [55, 55],
  PIP3: [55, 29],
  MCP4: [68, 58],
  PIP4: [71, 34],
  MCP5: [80, 64],
  PIP5: [86, 45],
  WRIST: [56, 114],
};

const TIPS = { 2: [34, 15], 3: [55, 8], 4: [73, 14], 5: [91, 29] };
const PALM = "M31 90 L38 56 L58 52 L82 61 L82 100 L72 120 L42 120 Z";

/**
 * A joint's verdict in the page's words: "flagged" (at or above the weights' threshold), "not
 * flagged", or "not checked". The probability itself is never shown without what a flag means.
 */
export function verdict(p, threshold) {
  if (p == null) return "not checked";
  return p >= threshold ? "flagged" : "not flagged";
}

/** Blue (low) → amber (half the threshold) → red (at or above it); grey when unknown. */
export function colour(p, threshold) {
  if (p == null) return "#b0b7bf";
  if (p >= threshold) return "#c62828";
  if (p >= threshold / 2) return "#f9a825";
  return "#1e88e5";
}

function el(name, attrs = {}, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function line(points, width, parent) {
  return el("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: "#f1d9c8", "stroke-width": width, "stroke-linecap": "round", "stroke-linejoin": "round" }, parent);
}

/**
 * How a joint's value is drawn and said: the page's scores against a threshold. `colour(v)` and
 * `word(v)` of a value (undefined: not checked); `marked(v)` the joints the text alternative names,
 * as `markedName`.
 */
export function scoreStyle(threshold) {
  return { colour: (p) => colour(p, threshold), word: (p) => verdict(p, threshold), marked: (p) => p != null && p >= threshold, markedName: "flagged" };
}

/**
 * One hand: `side` "left" | "right", `joints` { MCP1: value, … } (missing: not checked), drawn in
 * `style`. Returns an SVG <g> placed at x offset `dx`.
 */
function hand(side, joints, style, dx, parent, onPick) {
  const g = el("g", { transform: side === "left" ? `translate(${dx + 100},0) scale(-1,1)` : `translate(${dx},0)` }, parent);
  el("path", { d: PALM, fill: "#f1d9c8" }, g);
  line([POSITIONS.WRIST, [56, 128]], 34, g);
  for (const f of [2, 3, 4, 5]) line([POSITIONS[`MCP${f}`], POSITIONS[`PIP${f}`], TIPS[f]], 11, g);
  line([POSITIONS.MCP1, POSITIONS.IP, [10, 46]], 12, g);
  for (const [name, [x, y]] of Object.entries(POSITIONS)) {
    const p = joints?.[name];
    const c = el("circle", { cx: x, cy: y, r: 5.5, fill: style.colour(p), stroke: "#fff", "stroke-width": 1.5 }, g);
    c.dataset.joint = name;
    c.dataset.hand = side;
    if (typeof p === "number") c.dataset.probability = p.toFixed(6);
    else if (p != null) c.dataset.value = p;
    el("title", {}, c).textContent = `${side} ${name}: ${style.word(p)}`;
    if (onPick && p != null) {
      c.setAttribute("tabindex", "0");
      c.setAttribute("role", "button");
      c.setAttribute("aria-label", `${side} ${name}, ${style.word(p)}`);
      c.addEventListener("click", () => onPick(side, name));
      c.addEventListener("keydown", (e) => e.key === "Enter" && onPick(side, name));
    }
  }
  const label = el("text", { x: dx + 50, y: 142, "text-anchor": "middle", "font-size": 9, fill: "#333" }, parent);
  label.textContent = side === "left" ? "Left hand" : "Right hand";
  return g;
}

/**
 * The diagram of both hands. `hands`: { left: { MCP1: value, … } | null, right: … }, drawn in
 * `style` (`scoreStyle(threshold)` for the page's scores). Returns an <svg> with a text
 * alternative naming the marked joints.
 */
export function diagram(hands, style, onPick) {
  // A group, not an image, when its joints are buttons (an image's children are not reachable).
  const svg = el("svg", { viewBox: "0 0 220 150", class: "diagram", role: onPick ? "group" : "img" });
  hand("left", hands.left, style, 0, svg, onPick);
  hand("right", hands.right, style, 120, svg, onPick);
  const above = [];
  for (const side of ["left", "right"]) {
    for (const [name, p] of Object.entries(hands[side] ?? {})) if (style.marked(p)) above.push(`${side} ${name}`);
  }
  const checked = ["left", "right"].filter((s) => hands[s]).map((s) => `${s} hand`).join(" and ") || "no hand";
  svg.setAttribute("aria-label", `Diagram of both hands (${checked} checked): ${above.length ? `${style.markedName}: ${above.join(", ")}` : `no joint ${style.markedName}`}.`);
  return svg;
}

/** Joint names in diagram order, for tables and trends. */
export const JOINT_ORDER = Object.freeze(Object.keys(POSITIONS));
