// The patient page's result view: a photo judged by the detector, its joints on the photo and in a
// table, what to change where a hand failed its capture check, a joint's heat map, and the check
// being put together on the two-hand diagram.
import { JOINTS } from "./pkg/index.js";
import { diagram, colour, scoreStyle } from "./diagram.js";
import { explain } from "./explain.js";
import { $, status } from "./dom.js";
import { state, replaceCurrent, setBusy } from "./state.js";
import { sideName, word, judgeable, handVerdicts } from "./words.js";

/** Detect with the page's "mirrored" box as it is now (a selfie: the person's left hand shows as a right one). */
function detectNow(source) {
  state.detector.setOptions({ mirrored: $("mirrored").checked });
  return state.detector.detect(source);
}

/** Judge a photo (a File, Blob or camera photo) named `name` in the status line, and show the result. */
export async function analyse(source, name) {
  if (!state.detector) return;
  status(`Looking at ${name}…`);
  $("heat").hidden = true;
  setBusy(true);
  try {
    const t0 = performance.now();
    const detection = await detectNow(source);
    const ms = performance.now() - t0;
    // The detector's memory after each photo, for the soak benchmark (bench/soak_web.mjs).
    document.body.dataset.wasmBytes = String(await state.detector.memoryBytes());
    replaceCurrent({ detection, bitmap: await displayBitmap(source), showAnyway: false });
    show(ms);
  } catch (e) {
    replaceCurrent(null);
    meaning(null);
    $("advice").replaceChildren();
    $("anyway").hidden = true;
    list([]);
    draw(null, null, []);
    status(explain(e), "error");
    document.body.dataset.result = JSON.stringify({ error: e?.name ?? "Error" });
  } finally {
    setBusy(false);
  }
}

// The photo as shown (and cut for the heat map and the thumbnail): at most this many pixels on its
// longer side, so a 48-megapixel photo does not stay in the tab's memory at full size (192 MB).
const DISPLAY_SIDE = 2048;

/**
 * The photo decoded for display, after the detector accepted it (a photo it refuses, too large
 * for instance, is never decoded here), scaled down to DISPLAY_SIDE; null where it cannot be.
 */
async function displayBitmap(source) {
  const full = await createImageBitmap(source).catch(() => null);
  const s = full ? DISPLAY_SIDE / Math.max(full.width, full.height) : 1;
  if (s >= 1) return full;
  const small = await createImageBitmap(full, { resizeWidth: Math.round(full.width * s), resizeHeight: Math.round(full.height * s), resizeQuality: "high" }).catch(() => null);
  full.close();
  return small;
}

/** Show the current photo's result: advice for what failed, verdicts only for judgeable hands. */
function show(ms = 0) {
  const { detection, bitmap, showAnyway } = state.current;
  const judged = detection.hands.filter((h) => judgeable(h, showAnyway));
  const refused = detection.hands.filter((h) => !judgeable(h, showAnyway));
  for (const h of judged) state.check[h.handedness] = { hand: h, threshold: detection.threshold };
  draw(detection, bitmap, judged);
  list(judged);
  advise(refused);
  $("anyway").hidden = refused.length === 0;
  const failing = refused.flatMap((h) => h.quality.checks.filter((c) => !c.ok).map((c) => c.name));
  const unfamiliar = detection.hands.some((h) => h.familiarity && !h.familiarity.familiar);
  if (detection.hands.length === 0) {
    status("No hand found in this photo. Show the whole hand, back towards the camera, in good light.", "warn");
  } else if (judged.length === 0) {
    status("This photo cannot be judged: see what to change below, then take it again.", "warn");
  } else {
    const n = judged.reduce((s, h) => s + h.joints.filter((j) => j.inflamed).length, 0);
    const hands = judged.map((h) => `${sideName(h.handedness)} hand`).join(" and ");
    status(`${hands}: ${n} joint${n === 1 ? "" : "s"} flagged (${Math.round(ms)} ms).${handVerdicts(judged)} This is not a diagnosis.${showAnyway ? " Shown although the photo failed its check." : ""}`);
  }
  meaning(judged.length ? detection.meaning : null);
  showCheck();
  document.body.dataset.result = JSON.stringify({ hands: detection.hands.length, judged: judged.length, failing, unfamiliar, ms });
}

/** What a flag means for these weights (the detection's own sentence), shown with every verdict. */
function meaning(text) {
  $("meaning").hidden = !text;
  $("meaning").textContent = text ?? "";
}

/** What to change, per refused hand: each failed check's advice, and the unfamiliar-photo warning. */
function advise(refused) {
  const root = $("advice");
  root.replaceChildren();
  for (const h of refused) {
    const box = document.createElement("div");
    box.className = "advice";
    box.dataset.hand = h.handedness;
    const title = document.createElement("h3");
    title.textContent = `${h.handedness === "left" ? "Left" : "Right"} hand: no result for this photo`;
    box.appendChild(title);
    const ul = document.createElement("ul");
    for (const c of h.quality.checks.filter((c) => !c.ok)) {
      const li = document.createElement("li");
      li.dataset.check = c.name;
      li.textContent = c.advice;
      ul.appendChild(li);
    }
    if (h.familiarity && !h.familiarity.familiar) {
      const li = document.createElement("li");
      li.dataset.check = "unfamiliar";
      li.textContent = "These weights were not trained on photos like this one, so their verdicts would mean nothing here.";
      ul.appendChild(li);
    }
    box.appendChild(ul);
    root.appendChild(box);
  }
}

/** The check being put together: both hands on the diagram, and which hand is still missing. */
export function showCheck() {
  const { check } = state;
  const threshold = check.left?.threshold ?? check.right?.threshold ?? state.detector?.sidecar?.threshold ?? 0.5;
  const probs = (s) => (check[s] ? Object.fromEntries(check[s].hand.joints.map((j) => [j.joint, j.probability])) : null);
  const hands = { left: probs("left"), right: probs("right") };
  const svg = diagram(hands, scoreStyle(threshold), (side, joint) => {
    // Read when the joint is picked, not when the diagram was drawn.
    const h = state.check[side]?.hand;
    const j = h?.joints.find((x) => x.joint === joint);
    if (j && state.current?.detection.hands.includes(h)) heat(h, j);
  });
  $("diagram").replaceChildren(svg);
  const n = ["left", "right"].reduce((s, side) => s + (check[side]?.hand.joints.filter((j) => j.inflamed).length ?? 0), 0);
  const missing = ["left", "right"].filter((s) => !check[s]);
  $("check-summary").textContent =
    missing.length === 2
      ? "No hand checked yet: start with your left hand."
      : `${n} of ${JOINTS.length * (2 - missing.length)} joints flagged.` +
        (missing.length ? ` Now take a photo of your ${missing[0]} hand (or save the check as it is).` : " Both hands are checked: save the check to follow it over time.");
  $("save").hidden = missing.length === 2;
  $("new-check").hidden = missing.length === 2;
}

function draw(detection, bitmap, judged) {
  const canvas = $("photo");
  if (!bitmap || !detection) {
    canvas.width = canvas.height = 0;
    $("legend").hidden = true;
    return;
  }
  const scale = Math.min(1, 900 / Math.max(bitmap.width, bitmap.height));
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  // Detection coordinates are in the decoded photo's pixels.
  const sx = canvas.width / detection.width;
  const sy = canvas.height / detection.height;
  for (const hand of judged) {
    for (const j of hand.joints) {
      ctx.beginPath();
      ctx.arc(j.position.x * sx, j.position.y * sy, Math.max(5, 9 * scale), 0, 2 * Math.PI);
      ctx.fillStyle = colour(j.probability, detection.threshold);
      ctx.globalAlpha = 0.85;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
  }
  $("legend").hidden = judged.length === 0;
  canvas.onclick = (ev) => {
    const r = canvas.getBoundingClientRect();
    const x = ((ev.clientX - r.left) * (canvas.width / r.width)) / sx;
    const y = ((ev.clientY - r.top) * (canvas.height / r.height)) / sy;
    let best = null;
    for (const hand of judged) {
      for (const j of hand.joints) {
        const d = Math.hypot(j.position.x - x, j.position.y - y);
        if (!best || d < best.d) best = { d, j, hand };
      }
    }
    if (best) heat(best.hand, best.j);
  };
}

function list(hands) {
  const root = $("joints");
  root.replaceChildren();
  for (const hand of hands) {
    const table = document.createElement("table");
    const caption = table.createCaption();
    caption.textContent = `${hand.handedness === "left" ? "Left" : "Right"} hand`;
    const head = table.createTHead().insertRow();
    for (const h of ["Joint", "Verdict"]) head.appendChild(Object.assign(document.createElement("th"), { textContent: h, scope: "col" }));
    const body = table.createTBody();
    for (const j of hand.joints) {
      const row = body.insertRow();
      row.dataset.joint = j.joint;
      row.dataset.probability = j.probability.toFixed(6);
      row.insertCell().textContent = j.joint;
      row.insertCell().textContent = word(j);
      row.className = j.inflamed ? "high" : "";
      row.tabIndex = 0;
      row.setAttribute("aria-label", `${j.joint}: ${word(j)}. Press Enter to see where the model looked.`);
      row.onclick = row.onkeydown = (ev) => {
        if (ev.type === "keydown" && ev.key !== "Enter") return;
        heat(hand, j);
      };
    }
    root.appendChild(table);
  }
}

// The joint's crop from the photo with its 8×8 activation map laid over it.
function heat(hand, j) {
  const { current } = state;
  if (!current?.bitmap) return;
  $("heat").hidden = false;
  $("heat-title").textContent = `${hand.handedness} ${j.joint}: ${word(j)}`;
  const c = $("heat-canvas");
  const ctx = c.getContext("2d");
  const { center: { x, y }, side, angle } = j.heatmapBox;
  const sx = current.bitmap.width / current.detection.width;
  ctx.save();
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.translate(c.width / 2, c.height / 2);
  ctx.rotate(-angle);
  const k = c.width / (side * sx);
  ctx.scale(k, k);
  ctx.drawImage(current.bitmap, -x * sx, -y * sx);
  ctx.restore();
  const v = j.heatmap;
  const n = Math.round(Math.sqrt(v.length));
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const cell = c.width / n;
  for (let r = 0; r < n; r++) {
    for (let q = 0; q < n; q++) {
      const t = hi > lo ? (v[r * n + q] - lo) / (hi - lo) : 0;
      ctx.fillStyle = `rgba(220, 30, 30, ${0.55 * t})`;
      ctx.fillRect(q * cell, r * cell, cell, cell);
    }
  }
}

/** Show the current photo's hands that failed their check too, as the patient asked. */
export function showAnyway() {
  if (!state.current) return;
  state.current.showAnyway = true;
  show();
}
