// The patient page: a photo from the camera or a file → hands and joints found on this device →
// the photo with each joint marked, a list, and the heat map of a tapped joint.
import { JointDetector } from "./pkg/index.js";
import * as history from "./history.js";

const $ = (id) => document.getElementById(id);
const status = (text, kind = "") => {
  $("status").textContent = text;
  $("status").className = kind;
};

let detector = null;
let current = null; // { detection, bitmap }
let stream = null;

// Readable messages for each kind of failure; the page keeps working after any of them.
function explain(e) {
  switch (e?.name) {
    case "ImageError":
      return `This file could not be used as a photo: ${e.message}. Try a JPEG or PNG photo.`;
    case "WeightsError":
    case "SidecarError":
      return `The model files on this page are damaged or do not match (${e.message}). Reload the page; if it persists, the page needs to be reinstalled.`;
    case "NetworkError":
      return `A model file could not be loaded (${e.message}). Check the connection once; afterwards the page works offline.`;
    case "BackendError":
      return `The computation failed (${e.message}).`;
    default:
      return `Something went wrong: ${e?.message ?? e}`;
  }
}

async function start() {
  if ("serviceWorker" in navigator) {
    // A rebuilt page comes with a new service worker, which takes over at once: reload onto it
    // (only when one was already in charge, so a first visit is not reloaded).
    const returning = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (returning) location.reload();
    });
    navigator.serviceWorker.register("sw.js").catch(() => {}); // offline use is a bonus, not a need
  }
  const params = new URLSearchParams(location.search);
  const backend = params.get("backend") ?? "auto";
  try {
    detector = await JointDetector.create({ weights: "weights/jointscope.bpk", models: "pkg/models/", backend, worker: params.get("worker") !== "0" });
    $("backend").textContent = detector.backend === "webgpu" ? "WebGPU (your graphics chip)" : "the CPU (WebAssembly)";
    provenance(detector.sidecar);
    if (detector.fallbackReason) console.info(detector.fallbackReason);
    document.body.dataset.ready = detector.backend;
    status("Ready. Take or choose a photo.");
  } catch (e) {
    document.body.dataset.ready = "failed";
    status(explain(e), "error");
  }
  await showHistory();
}

// What the weights were trained on, from their sidecar (not assumed).
function provenance(sidecar) {
  const t = sidecar.training_data;
  $("provenance").textContent = sidecar.synthetic_data
    ? "The model on this page was trained on synthetic drawn hands, not on real patients; its results say nothing reliable about your joints."
    : `The model on this page was trained on ${t.images} photos of ${t.patients} people (${t.inflamed_joints} of ${t.labelled_joints} joints labelled inflamed). It can still be wrong about your joints.`;
  document.body.dataset.synthetic = String(sidecar.synthetic_data);
}

async function analyse(source, name) {
  if (!detector) return;
  status(`Looking at ${name}…`);
  $("save").hidden = true;
  $("heat").hidden = true;
  document.body.dataset.busy = "1";
  try {
    const bitmap = await createImageBitmap(source).catch(() => null);
    const t0 = performance.now();
    const detection = await detector.detect(source);
    const ms = performance.now() - t0;
    current = { detection, bitmap };
    draw(detection, bitmap);
    list(detection);
    if (detection.hands.length === 0) {
      status("No hand found in this photo. Show the whole hand, back towards the camera, in good light.", "warn");
    } else {
      const n = detection.hands.reduce((s, h) => s + h.joints.filter((j) => j.inflamed).length, 0);
      const hands = detection.hands.map((h) => `${h.handedness} hand`).join(" and ");
      status(`${hands}: ${n} joint${n === 1 ? "" : "s"} above the model's threshold (${Math.round(ms)} ms). This is not a diagnosis.`);
      $("save").hidden = false;
    }
    document.body.dataset.result = JSON.stringify({ hands: detection.hands.length, ms });
  } catch (e) {
    current = null;
    list({ hands: [] });
    draw(null, null);
    status(explain(e), "error");
    document.body.dataset.result = JSON.stringify({ error: e?.name ?? "Error" });
  } finally {
    delete document.body.dataset.busy;
  }
}

// Blue (low) → amber (threshold) → red (high).
function colour(p, threshold) {
  if (p >= threshold) return "#c62828";
  if (p >= threshold / 2) return "#f9a825";
  return "#1e88e5";
}

function draw(detection, bitmap) {
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
  for (const hand of detection.hands) {
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
  $("legend").hidden = detection.hands.length === 0;
  canvas.onclick = (ev) => {
    const r = canvas.getBoundingClientRect();
    const x = ((ev.clientX - r.left) * (canvas.width / r.width)) / sx;
    const y = ((ev.clientY - r.top) * (canvas.height / r.height)) / sy;
    let best = null;
    for (const hand of detection.hands) {
      for (const j of hand.joints) {
        const d = Math.hypot(j.position.x - x, j.position.y - y);
        if (!best || d < best.d) best = { d, j, hand };
      }
    }
    if (best) heat(best.hand, best.j);
  };
}

function list(detection) {
  const root = $("joints");
  root.replaceChildren();
  for (const hand of detection.hands) {
    const table = document.createElement("table");
    const caption = table.createCaption();
    caption.textContent = `${hand.handedness[0].toUpperCase()}${hand.handedness.slice(1)} hand`;
    const head = table.createTHead().insertRow();
    for (const h of ["Joint", "Estimate", ""]) head.appendChild(Object.assign(document.createElement("th"), { textContent: h }));
    const body = table.createTBody();
    for (const j of hand.joints) {
      const row = body.insertRow();
      row.dataset.joint = j.joint;
      row.dataset.probability = j.probability.toFixed(6);
      row.insertCell().textContent = j.joint;
      row.insertCell().textContent = `${Math.round(j.probability * 100)} %`;
      const verdict = row.insertCell();
      verdict.textContent = j.inflamed ? "above threshold" : "";
      row.className = j.inflamed ? "high" : "";
      row.tabIndex = 0;
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
  $("heat-title").textContent = `${hand.handedness} ${j.joint}: ${Math.round(j.probability * 100)} %`;
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
  if (!current) return;
  const record = {
    date: new Date().toISOString(),
    model: detector.sidecar?.producer ?? "",
    hands: current.detection.hands.map((h) => ({
      handedness: h.handedness,
      joints: h.joints.map((j) => ({ name: j.joint, probability: j.probability, inflamed: j.inflamed })),
    })),
    thumbnail: current.bitmap ? await thumbnail(current.bitmap) : null,
  };
  await history.add(record);
  $("save").hidden = true;
  await showHistory();
}

async function showHistory() {
  let records = [];
  try {
    records = await history.all();
  } catch {
    $("history-list").textContent = "This browser does not allow storing results (private mode?).";
    return;
  }
  const ul = $("history-list");
  ul.replaceChildren();
  for (const r of records.reverse()) {
    const li = document.createElement("li");
    if (r.thumbnail) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(new Blob([r.thumbnail], { type: "image/jpeg" }));
      img.alt = "";
      li.appendChild(img);
    }
    const n = r.hands.reduce((s, h) => s + h.joints.filter((j) => j.inflamed).length, 0);
    li.append(`${new Date(r.date).toLocaleString()}: ${r.hands.map((h) => h.handedness).join(" + ")} hand, ${n} above threshold `);
    const del = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Delete" });
    del.onclick = async () => {
      await history.remove(r.id);
      await showHistory();
    };
    li.appendChild(del);
    ul.appendChild(li);
  }
}

async function exportHistory() {
  const records = (await history.all()).map(({ thumbnail, ...r }) => r);
  const blob = new Blob([JSON.stringify(records, null, 2)], { type: "application/json" });
  const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: "jointscope-history.json" });
  a.click();
  URL.revokeObjectURL(a.href);
}

async function cameraStart() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1920 } }, audio: false });
  } catch (e) {
    status(`The camera could not be opened (${e.message}). You can choose a photo instead.`, "error");
    return;
  }
  $("video").srcObject = stream;
  await $("video").play();
  $("camera").hidden = false;
}

function cameraStop() {
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  $("camera").hidden = true;
}

async function cameraShoot() {
  const v = $("video");
  if (!v.videoWidth) return;
  const c = new OffscreenCanvas(v.videoWidth, v.videoHeight);
  c.getContext("2d").drawImage(v, 0, 0);
  const blob = await c.convertToBlob({ type: "image/png" });
  cameraStop();
  await analyse(blob, "the camera photo");
}

$("file").onchange = async (ev) => {
  const f = ev.target.files?.[0];
  ev.target.value = "";
  if (f) await analyse(f, f.name);
};
$("camera-start").onclick = cameraStart;
$("camera-stop").onclick = cameraStop;
$("camera-shoot").onclick = cameraShoot;
$("save").onclick = save;
$("history-export").onclick = exportHistory;
$("history-delete").onclick = async () => {
  if (confirm("Delete every stored result from this browser?")) {
    await history.clear();
    await showHistory();
  }
};

start();
