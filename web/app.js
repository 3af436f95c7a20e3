// The patient page: photos of the left and the right hand (camera or file) → hands and joints found
// on this device → a capture check that says what to fix, a warning when the photo is unlike the
// training photos, and otherwise both hands on one diagram; checks kept in this browser, their trend
// over time, and a one-page summary to print for the clinic. Every judgement comes from the Rust
// detector (pkg/); this file only wires it to the page.
import { JointDetector, JOINTS } from "./pkg/index.js";
import * as history from "./history.js";
import { diagram, colour, scoreStyle } from "./diagram.js";
import { trend } from "./trend.js";
import { camera } from "./camera.js";
import { explain } from "./explain.js";

const $ = (id) => document.getElementById(id);
const status = (text, kind = "") => {
  $("status").textContent = text;
  $("status").className = kind;
};

let detector = null;
let current = null; // the last photo: { detection, bitmap, showAnyway }
let check = { left: null, right: null }; // the check being put together: a HandResult per side

async function start() {
  if ("serviceWorker" in navigator) {
    // A rebuilt page comes with a new service worker, which takes over at once: reload onto it
    // (only when one was already in charge, so a first visit is not reloaded).
    const returning = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (returning) updateReady();
    });
    navigator.serviceWorker.register("sw.js").catch(() => {}); // offline use is a bonus, not a need
  }
  const params = new URLSearchParams(location.search);
  const backend = params.get("backend") ?? "auto";
  try {
    // backend=, worker=0 and answer-timeout= (ms) are for testing the page; patients never set them.
    const answerTimeoutMs = Number(params.get("answer-timeout")) || undefined;
    detector = await JointDetector.create({ weights: "weights/jointscope.bpk", models: "pkg/models/", backend, worker: params.get("worker") !== "0", answerTimeoutMs });
    $("backend").textContent = detector.backend === "webgpu" ? "WebGPU (your graphics chip)" : "the CPU (WebAssembly)";
    provenance(detector.sidecar);
    if (detector.fallbackReason) console.info(detector.fallbackReason);
    detector.addEventListener("restart", restarted);
    document.body.dataset.ready = detector.backend;
    status("Ready. Take or choose a photo of your left hand.");
  } catch (e) {
    document.body.dataset.ready = "failed";
    status(explain(e), "error");
  }
  showCheck();
  await showHistory();
  // Another tab of this page kept, deleted or imported checks: show them here too.
  if (tabs) tabs.onmessage = () => showHistory();
}

const tabs = "BroadcastChannel" in globalThis ? new BroadcastChannel("jointscope-history") : null;
/** Tell the page's other tabs that the stored checks changed. */
const changed = () => tabs?.postMessage("changed");

/** The detector died under a photo (its worker killed, its GPU lost) and runs again on the CPU: say so. */
function restarted(e) {
  $("backend").textContent = "the CPU (WebAssembly), restarted after the detector stopped";
  document.body.dataset.restarts = String(detector.restarts);
  status(`The detector stopped (${e.detail.reason}). Trying the photo again…`);
}

// A new version of the page took over (its service worker): reload onto it, but never under an
// open check or a photo being judged: then once the check is kept or dropped.
let updatePending = false;
function updateReady() {
  const open = check.left || check.right || document.body.dataset.busy;
  if (!open) return location.reload();
  updatePending = true;
  document.body.dataset.update = "pending";
  $("update").hidden = false;
}

// What the weights were trained on, from their sidecar (not assumed).
function provenance(sidecar) {
  const t = sidecar.training_data;
  const photos = sidecar.training_photos;
  const nothingReliable = "its results say nothing reliable about your joints.";
  $("provenance").textContent = {
    "drawn": `The model on this page was trained on synthetic drawn hands, not on real patients; ${nothingReliable}`,
    "simulated-signs": `The model on this page was trained on ${t.images} photos of ${t.patients} people's healthy hands with simulated signs of inflammation painted on, not on patients; ${nothingReliable}`,
    "real-labels": `The model on this page was trained on ${t.images} photos of ${t.patients} people (${t.inflamed_joints} of ${t.labelled_joints} joints labelled inflamed at an examination). It can still be wrong about your joints.`,
  }[photos] ?? `The files of the model on this page do not say what it was trained on, so ${nothingReliable}`;
  document.body.dataset.trainingPhotos = photos ?? "unrecorded";
}

/** What the weights were trained on, for the summary ("" for patients' labelled photos). */
const trainedOn = (s) => ({
  "drawn": "; trained on synthetic drawn hands only",
  "simulated-signs": "; trained on healthy hands with simulated signs painted on, not on patients",
  "real-labels": "",
}[s?.training_photos] ?? "; what the model was trained on is not recorded");

const sideName = (s) => (s === "left" ? "left" : "right");
/** A joint's verdict in the page's words (the detector's own `inflamed`). */
const word = (j) => (j.inflamed ? "flagged" : "not flagged");
const judgeable = (hand, anyway) => anyway || hand.judgeable;
/** The whole hands' verdicts in words ("" when the weights give none): "The left hand as a whole: flagged." */
const handVerdicts = (hands) => {
  const said = hands.filter((h) => h.verdict).map((h) => `the ${sideName(h.handedness)} hand as a whole: ${h.verdict.flagged ? "flagged" : "not flagged"}`);
  return said.length ? ` ${said.join("; ").replace(/^t/, "T")}.` : "";
};

/** Detect with the page's "mirrored" box as it is now (a selfie: the person's left hand shows as a right one). */
function detectNow(source) {
  detector.setOptions({ mirrored: $("mirrored").checked });
  return detector.detect(source);
}

async function analyse(source, name) {
  if (!detector) return;
  status(`Looking at ${name}…`);
  $("heat").hidden = true;
  document.body.dataset.busy = "1";
  try {
    const t0 = performance.now();
    const detection = await detectNow(source);
    const ms = performance.now() - t0;
    // The detector's memory after each photo, for the soak benchmark (bench/soak_web.mjs).
    document.body.dataset.wasmBytes = String(await detector.memoryBytes());
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
    delete document.body.dataset.busy;
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

/** Make `next` the current photo, freeing the previous photo's pixels at once (not at the next GC). */
function replaceCurrent(next) {
  if (current?.bitmap && current.bitmap !== next?.bitmap) current.bitmap.close();
  current = next;
}

/** Show the current photo's result: advice for what failed, verdicts only for judgeable hands. */
function show(ms = 0) {
  const { detection, bitmap, showAnyway } = current;
  const judged = detection.hands.filter((h) => judgeable(h, showAnyway));
  const refused = detection.hands.filter((h) => !judgeable(h, showAnyway));
  for (const h of judged) check[h.handedness] = { hand: h, threshold: detection.threshold };
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
function showCheck() {
  const threshold = check.left?.threshold ?? check.right?.threshold ?? detector?.sidecar?.threshold ?? 0.5;
  const probs = (s) => (check[s] ? Object.fromEntries(check[s].hand.joints.map((j) => [j.joint, j.probability])) : null);
  const hands = { left: probs("left"), right: probs("right") };
  const svg = diagram(hands, scoreStyle(threshold), (side, joint) => {
    const h = check[side]?.hand;
    const j = h?.joints.find((x) => x.joint === joint);
    if (j && current?.detection.hands.includes(h)) heat(h, j);
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

async function thumbnail(bitmap) {
  const s = 96 / Math.max(bitmap.width, bitmap.height);
  const c = new OffscreenCanvas(Math.round(bitmap.width * s), Math.round(bitmap.height * s));
  c.getContext("2d").drawImage(bitmap, 0, 0, c.width, c.height);
  const blob = await c.convertToBlob({ type: "image/jpeg", quality: 0.7 });
  return new Uint8Array(await blob.arrayBuffer());
}

async function save() {
  const sides = ["left", "right"].filter((s) => check[s]);
  if (sides.length === 0) return;
  const sidecar = detector?.sidecar ?? {};
  const record = {
    date: new Date().toISOString(),
    model: sidecar.producer ?? "",
    weights: sidecar.weights?.sha256 ?? "",
    threshold: check[sides[0]].threshold,
    retakeDifference: sidecar.retake_difference ?? null,
    meaning: current?.detection.meaning ?? null,
    hands: sides.map((s) => ({
      handedness: s,
      joints: check[s].hand.joints.map((j) => ({ name: j.joint, probability: j.probability, inflamed: j.inflamed })),
      verdict: check[s].hand.verdict ?? null,
    })),
    thumbnail: current?.bitmap ? await thumbnail(current.bitmap) : null,
  };
  try {
    await history.add(record);
  } catch (e) {
    const why = e?.name === "QuotaExceededError"
      ? "this browser's storage for the page is full. Delete older checks (export them first if you want them) and keep the check again"
      : `this browser does not let the page store it (${e?.message ?? e}; private mode?)`;
    status(`The check could not be kept: ${why}. It stays open here until then.`, "error");
    return;
  }
  changed();
  newCheck();
  status("Check kept on this device. Take a new one any time to follow the trend.");
  await showHistory();
}

function newCheck() {
  check = { left: null, right: null };
  if (updatePending) return location.reload();
  showCheck();
}

/** The stored checks that read as checks and how many did not ({ records, unreadable }), or null where nothing can be stored. */
async function stored() {
  try {
    return await history.readAll();
  } catch {
    return null;
  }
}

const records = async () => (await stored())?.records ?? null;

const thumbnails = []; // object URLs of the history list's thumbnails
async function showHistory() {
  const kept = await stored();
  const ul = $("history-list");
  const note = $("history-note");
  if (!kept) {
    ul.replaceChildren();
    note.hidden = false;
    note.textContent = "This browser does not let the page store checks (private mode?): each check works, but none is kept.";
    return;
  }
  const { records: all, unreadable } = kept;
  // The list is drawn afresh each time: free the previous drawing's thumbnails.
  for (const u of thumbnails.splice(0)) URL.revokeObjectURL(u);
  note.hidden = unreadable === 0;
  if (unreadable) note.textContent = `${unreadable} stored check${unreadable === 1 ? " is" : "s are"} damaged and could not be read: not shown.`;
  ul.replaceChildren();
  for (const r of [...all].reverse()) {
    const li = document.createElement("li");
    li.dataset.date = r.date;
    if (r.thumbnail) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(new Blob([r.thumbnail], { type: "image/jpeg" }));
      thumbnails.push(img.src);
      img.alt = "";
      li.appendChild(img);
    }
    const n = r.hands.reduce((s, h) => s + h.joints.filter((j) => j.inflamed).length, 0);
    li.append(`${new Date(r.date).toLocaleString()}: ${r.hands.map((h) => h.handedness).join(" + ")} hand, ${n} flagged `);
    const del = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Delete" });
    del.setAttribute("aria-label", `Delete the check of ${new Date(r.date).toLocaleString()}`);
    del.onclick = async () => {
      await history.remove(r.id);
      changed();
      await showHistory();
    };
    li.appendChild(del);
    ul.appendChild(li);
  }
  $("trend").replaceChildren(trend(all));
  $("summary-open").disabled = all.length === 0;
}

async function exportHistory() {
  const list = ((await records()) ?? []).map(({ thumbnail, id, ...r }) => r);
  const blob = new Blob([JSON.stringify(list, null, 2)], { type: "application/json" });
  const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: "jointscope-history.json" });
  a.click();
  URL.revokeObjectURL(a.href);
}

async function importHistory(file) {
  try {
    if (file.size > 20 << 20) throw new Error(`${file.size} bytes is larger than a history file`);
    let data;
    try {
      data = JSON.parse(await file.text());
    } catch {
      throw new Error("not a JSON file");
    }
    const n = await history.importRecords(data);
    if (n) changed();
    status(`Imported ${n} check${n === 1 ? "" : "s"} from ${file.name}${n < data.length ? ` (${data.length - n} already here)` : ""}.`);
  } catch (e) {
    status(`${file.name} could not be imported: ${e.message}. Nothing was changed.`, "error");
  }
  await showHistory();
}

// The one page for the clinic visit: the latest check on the diagram, the trend, every date, the
// weights and threshold, and the notice. Printed or saved as PDF by the browser, on this device.
async function openSummary() {
  const all = (await records()) ?? [];
  if (all.length === 0) return;
  const sorted = [...all].sort((a, b) => new Date(a.date) - new Date(b.date));
  const last = sorted.at(-1);
  const hands = { left: null, right: null };
  for (const h of last.hands) hands[h.handedness] = Object.fromEntries(h.joints.map((j) => [j.name, j.probability]));
  const root = $("summary-body");
  root.replaceChildren();
  const p = (text) => Object.assign(document.createElement("p"), { textContent: text });
  root.append(p(`Latest check: ${new Date(last.date).toLocaleString()}. ${sorted.length} check${sorted.length === 1 ? "" : "s"} from ${new Date(sorted[0].date).toLocaleDateString()} to ${new Date(last.date).toLocaleDateString()}.`));
  root.appendChild(diagram(hands, scoreStyle(last.threshold ?? 0.5)));
  const above = last.hands.flatMap((h) => h.joints.filter((j) => j.inflamed).map((j) => `${h.handedness} ${j.name}`));
  root.append(p((above.length ? `Flagged in the latest check: ${above.join(", ")}.` : "No joint flagged in the latest check.") + handVerdicts(last.hands)));
  // What a flag meant, as recorded with the check (or the loaded weights' sentence, when the check came from them).
  const same = last.weights && last.weights === detector?.sidecar?.weights?.sha256;
  root.append(p(last.meaning ?? (same ? detector.meaning : "What a flag meant for the weights of this check was not recorded.")));
  root.appendChild(trend(sorted));
  const table = document.createElement("table");
  table.createCaption().textContent = "Every check";
  const head = table.createTHead().insertRow();
  for (const h of ["Date", "Hands", "Flagged joints"]) head.appendChild(Object.assign(document.createElement("th"), { textContent: h, scope: "col" }));
  const body = table.createTBody();
  for (const r of sorted) {
    const row = body.insertRow();
    row.insertCell().textContent = new Date(r.date).toLocaleString();
    row.insertCell().textContent = r.hands.map((h) => h.handedness).join(" + ");
    row.insertCell().textContent = r.hands.flatMap((h) => h.joints.filter((j) => j.inflamed).map((j) => `${h.handedness[0].toUpperCase()} ${j.name}`)).join(", ") || "none";
  }
  root.appendChild(table);
  const s = detector?.sidecar;
  root.append(p(`Weights: ${last.model || "unknown"}${last.weights ? `, SHA-256 ${last.weights.slice(0, 12)}…` : ""}; a joint is flagged at a score of ${(last.threshold ?? 0.5).toFixed(3)} or more (a score, not a percentage)${trainedOn(s)}.`));
  root.append(p($("notice").textContent.replace(/\s+/g, " ").trim()));
  document.body.dataset.view = "summary";
  $("summary").hidden = false;
  $("summary-title").focus();
}

function closeSummary() {
  delete document.body.dataset.view;
  $("summary").hidden = true;
  $("summary-open").focus();
}

const cam = camera(() => detector);

async function cameraStart() {
  if (!detector) return;
  try {
    await cam.start();
  } catch (e) {
    status(`The camera could not be opened (${e.message}). You can choose a photo instead.`, "error");
  }
}

async function cameraShoot() {
  const photo = await cam.photo("image/png");
  if (photo) await analyse(photo, "the camera photo");
}

$("file").onchange = async (ev) => {
  const f = ev.target.files?.[0];
  ev.target.value = "";
  if (f) await analyse(f, f.name);
};
$("anyway").onclick = () => {
  if (!current) return;
  current.showAnyway = true;
  show();
};
$("camera-start").onclick = cameraStart;
$("camera-shoot").onclick = cameraShoot;
$("save").onclick = save;
$("new-check").onclick = newCheck;
$("history-export").onclick = exportHistory;
$("history-import").onchange = async (ev) => {
  const f = ev.target.files?.[0];
  ev.target.value = "";
  if (f) await importHistory(f);
};
$("history-delete").onclick = async () => {
  if (confirm("Delete every stored check from this browser?")) {
    await history.clear();
    changed();
    await showHistory();
  }
};
$("summary-open").onclick = openSummary;
$("summary-print").onclick = () => print();
$("summary-close").onclick = closeSummary;

start();
