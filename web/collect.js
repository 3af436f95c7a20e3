// Collection mode, for clinics: per visit a pseudonymous patient code and date, both hands
// photographed through the capture check (the landmarks found are kept), and each joint examined;
// visits kept in this browser until exported as a ZIP the trainer reads, and imported back. The
// collection's records, export and import are collection.js; this file wires them to the page.
import { JointDetector, JOINTS } from "./pkg/index.js";
import { diagram } from "./diagram.js";
import { camera } from "./camera.js";
import * as store from "./collection.js";
import { $, status, showBusy } from "./dom.js";

const SIDES = ["left", "right"];

/** The page's state: the detector once started, the hand the camera is photographing, whether a photo is being looked at. */
const page = { detector: null, shooting: null, busy: false };
/** The visit being put together: each hand's photo record (or null) and the examination. */
const form = { hands: { left: null, right: null }, joints: store.blankJoints() };

const WORDS = { yes: "swollen", no: "not swollen", "not evaluable": "not evaluable", "not examined": "not examined" };
/** The diagram drawn with the swelling findings: swollen red, not swollen blue, the rest grey. */
const FINDING_STYLE = {
  colour: (v) => ({ yes: "#c62828", no: "#1e88e5" })[v] ?? "#b0b7bf",
  word: (v) => WORDS[v] ?? "not examined",
  marked: (v) => v === "yes",
  markedName: "swollen",
};

async function start() {
  $("date").value = new Date().toISOString().slice(0, 10);
  await showStorage();
  const params = new URLSearchParams(location.search);
  try {
    const detector = await JointDetector.create({ weights: "weights/jointscope.bpk", models: "pkg/models/", backend: params.get("backend") ?? "auto", worker: params.get("worker") !== "0" });
    $("backend").textContent = detector.backend === "webgpu" ? "WebGPU (your graphics chip)" : "the CPU (WebAssembly)";
    page.detector = detector;
    document.body.dataset.ready = detector.backend;
    status("Ready. Enter the visit, photograph both hands, then mark the joints.");
  } catch (e) {
    document.body.dataset.ready = "failed";
    status(`The hand models could not start (${e?.name}: ${e?.message}). Reload the page.`, "error");
  }
  showExam();
  await showCollection();
}

/** How much this browser keeps, and whether it may evict it. */
async function showStorage() {
  const s = navigator.storage;
  if (!s?.estimate) {
    $("storage").textContent = "";
    return;
  }
  const { usage = 0, quota = 0 } = await s.estimate();
  const persisted = (await s.persisted?.()) ?? false;
  const mb = (b) => `${Math.round(b / 1e6)} MB`;
  $("storage").textContent = `This browser holds ${mb(usage)} of the ${mb(quota)} it allows this site${persisted ? "" : ", and may delete it when space runs low"}.`;
}

/** The type of an image file from its first bytes (a file's own `type` can be empty). */
async function imageType(blob) {
  const b = new Uint8Array(await blob.slice(0, 12).arrayBuffer());
  if (b[0] === 0xff && b[1] === 0xd8) return "image/jpeg";
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (String.fromCharCode(...b.subarray(8, 12)) === "WEBP") return "image/webp";
  return null;
}

/** A photo for one hand: checked and located by the detector, kept in the form whether or not it passes. */
async function addPhoto(side, blob, mirrored) {
  if (!page.detector) return;
  const state = $(`${side}-state`);
  state.textContent = "Looking at the photo…";
  setBusy(true);
  try {
    page.detector.setOptions({ mirrored });
    const d = await page.detector.detect(blob);
    const type = await imageType(blob);
    const hand = d.hands.find((h) => h.handedness === side) ?? d.hands[0] ?? null;
    form.hands[side] = {
      photo: new Blob([blob], { type }),
      width: d.width,
      height: d.height,
      handedness: hand?.handedness ?? null,
      landmarks: hand?.landmarks ?? null,
      positions: hand ? Object.fromEntries(hand.joints.map((j) => [j.joint, [j.position.x, j.position.y]])) : null,
      checkPassed: Boolean(hand?.quality.ok),
      failing: hand ? hand.quality.checks.filter((c) => !c.ok).map((c) => c.name) : [],
    };
    state.textContent = photoState(side, hand);
    await preview(side);
  } catch (e) {
    state.textContent = `This photo cannot be used: ${e.message}.`;
  } finally {
    setBusy(false);
  }
}

/** Mark a photo as being looked at, or done. */
function setBusy(busy) {
  page.busy = busy;
  showBusy(busy);
}

function photoState(side, hand) {
  if (!hand) return "No hand found: kept without joint positions (jointscope locate can add them). Take it again if you can.";
  if (!hand.quality.ok) return `Kept, but it fails the capture check: ${hand.quality.checks.find((c) => !c.ok).advice} Take it again if you can.`;
  if (hand.handedness !== side) return `Passes the capture check, but it looks like a ${hand.handedness} hand: check that it is the ${side} one.`;
  return "Passes the capture check.";
}

/** The hand's photo, small, with the joints found on it. */
async function preview(side) {
  const h = form.hands[side];
  const canvas = $(`${side}-preview`);
  if (!h) {
    canvas.width = canvas.height = 0;
    return;
  }
  const bitmap = await createImageBitmap(h.photo);
  const s = Math.min(1, 320 / Math.max(bitmap.width, bitmap.height));
  canvas.width = Math.round(bitmap.width * s);
  canvas.height = Math.round(bitmap.height * s);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  ctx.fillStyle = h.checkPassed ? "#1b5e20" : "#f9a825";
  for (const [x, y] of Object.values(h.positions ?? {})) {
    ctx.beginPath();
    ctx.arc((x * canvas.width) / h.width, (y * canvas.height) / h.height, 4, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/** The diagram of both hands' swelling and, per hand, a row per joint with its two findings. */
function showExam() {
  const swelling = (side) => Object.fromEntries(JOINTS.map((j) => [j, form.joints[side][j].swelling]));
  const next = (v) => store.FINDINGS[(store.FINDINGS.indexOf(v) + 1) % store.FINDINGS.length];
  $("exam-diagram").replaceChildren(
    diagram({ left: swelling("left"), right: swelling("right") }, FINDING_STYLE, (side, joint) => {
      const e = form.joints[side][joint];
      e.swelling = next(e.swelling);
      showExam();
      document.querySelector(`#exam-diagram circle[data-hand="${side}"][data-joint="${joint}"]`)?.focus();
    }),
  );
  $("exam-tables").replaceChildren(...SIDES.map(examTable));
}

function examTable(side) {
  const box = document.createElement("div");
  const table = document.createElement("table");
  table.dataset.hand = side;
  table.createCaption().textContent = `${side === "left" ? "Left" : "Right"} hand`;
  const head = table.createTHead().insertRow();
  for (const h of ["Joint", "Swollen", "Tender"]) head.appendChild(Object.assign(document.createElement("th"), { textContent: h, scope: "col" }));
  const body = table.createTBody();
  for (const joint of JOINTS) {
    const row = body.insertRow();
    row.dataset.joint = joint;
    row.appendChild(Object.assign(document.createElement("th"), { textContent: joint, scope: "row" }));
    for (const finding of ["swelling", "tenderness"]) {
      const select = document.createElement("select");
      select.dataset.finding = finding;
      select.setAttribute("aria-label", `${side} ${joint}: ${finding === "swelling" ? "swollen" : "tender"}`);
      for (const v of store.FINDINGS) select.appendChild(Object.assign(document.createElement("option"), { value: v, textContent: v }));
      select.value = form.joints[side][joint][finding];
      select.onchange = () => {
        form.joints[side][joint][finding] = select.value;
        if (finding === "swelling") showExam();
      };
      row.insertCell().appendChild(select);
    }
  }
  const rest = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "The joints not examined: not swollen" });
  rest.dataset.rest = side;
  rest.onclick = () => {
    for (const j of JOINTS) if (form.joints[side][j].swelling === "not examined") form.joints[side][j].swelling = "no";
    showExam();
  };
  box.append(table, rest);
  return box;
}

async function saveVisit() {
  const patient = $("patient").value.trim();
  const date = $("date").value;
  if (!store.PATIENT_CODE.test(patient)) {
    status("Enter the patient code: 1–40 letters, digits, '.', '_' or '-' (never a name).", "error");
    $("patient").focus();
    return;
  }
  if (!date) {
    status("Enter the date of the visit.", "error");
    $("date").focus();
    return;
  }
  const sides = SIDES.filter((s) => form.hands[s]);
  if (sides.length === 0) {
    status("Photograph at least one hand before saving the visit.", "error");
    return;
  }
  const visit = {
    id: crypto.randomUUID(),
    patient,
    date,
    created: new Date().toISOString(),
    hands: Object.fromEntries(sides.map((s) => [s, form.hands[s]])),
    joints: structuredClone(form.joints),
  };
  try {
    await store.save(visit);
  } catch (e) {
    status(`The visit could not be kept in this browser (${e?.message ?? e}). Export the collection, then free some space.`, "error");
    return;
  }
  navigator.storage?.persist?.().catch(() => {}); // ask once the collection holds something
  const labelled = sides.reduce((n, s) => n + JOINTS.filter((j) => ["yes", "no"].includes(visit.joints[s][j].swelling)).length, 0);
  clearForm();
  status(`Visit of ${patient} on ${date} kept: ${sides.length} photo${sides.length === 1 ? "" : "s"}, ${labelled} joints marked swollen or not.`);
  await showStorage();
  await showCollection();
}

function clearForm() {
  form.hands = { left: null, right: null };
  form.joints = store.blankJoints();
  $("patient").value = "";
  for (const s of SIDES) {
    $(`${s}-state`).textContent = "No photo yet.";
    preview(s);
  }
  showExam();
}

async function showCollection() {
  let all;
  try {
    all = await store.visits();
  } catch {
    $("summary").textContent = "This browser does not allow keeping data (private mode?): visits cannot be saved here.";
    $("export").disabled = true;
    return;
  }
  const count = (value) => all.reduce((n, v) => n + SIDES.filter((s) => v.hands[s]).reduce((m, s) => m + JOINTS.filter((j) => v.joints[s][j].swelling === value).length, 0), 0);
  const photos = all.reduce((n, v) => n + SIDES.filter((s) => v.hands[s]).length, 0);
  const patients = new Set(all.map((v) => v.patient)).size;
  $("summary").textContent = all.length === 0
    ? "No visit saved yet."
    : `${all.length} visit${all.length === 1 ? "" : "s"} of ${patients} patient${patients === 1 ? "" : "s"}, ${photos} photos: ${count("yes")} joints swollen, ${count("no")} not swollen, the others without a label.`;
  $("export").disabled = all.length === 0;
  $("visits").replaceChildren(...[...all].reverse().map(visitItem));
}

function visitItem(v) {
  const li = document.createElement("li");
  li.dataset.visit = v.id;
  const sides = SIDES.filter((s) => v.hands[s]);
  const swollen = sides.reduce((n, s) => n + JOINTS.filter((j) => v.joints[s][j].swelling === "yes").length, 0);
  li.append(`${v.patient}, ${v.date}: ${sides.join(" + ")} hand, ${swollen} swollen `);
  const del = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Delete" });
  del.setAttribute("aria-label", `Delete the visit of ${v.patient} on ${v.date}`);
  del.onclick = async () => {
    if (!confirm(`Delete the visit of ${v.patient} on ${v.date} from this browser?`)) return;
    await store.remove(v.id);
    await showCollection();
  };
  li.appendChild(del);
  return li;
}

async function exportCollection() {
  const all = await store.visits();
  if (all.length === 0) return;
  const blob = await store.exportZip(all);
  const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: `jointscope-collection-${new Date().toISOString().slice(0, 10)}.zip` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  status(`Exported ${all.length} visit${all.length === 1 ? "" : "s"} (${Math.round(blob.size / 1e5) / 10} MB). Keep the file somewhere safe: it holds the photos.`);
}

async function importCollection(file) {
  try {
    const visits = await store.readExport(new Uint8Array(await file.arrayBuffer()));
    const [added, skipped] = await store.importVisits(visits);
    status(`Imported ${added} visit${added === 1 ? "" : "s"} from ${file.name}${skipped ? ` (${skipped} already here)` : ""}.`);
  } catch (e) {
    status(`${file.name} could not be imported: ${e.message}. Nothing was changed.`, "error");
  }
  await showCollection();
}

const cam = camera(() => page.detector, () => page.busy);

for (const side of SIDES) {
  document.querySelector(`[data-camera="${side}"]`).onclick = async () => {
    if (!page.detector) return;
    page.shooting = side;
    try {
      await cam.start();
      $("gate").textContent = `Fit the ${side} hand in the frame.`;
    } catch (e) {
      $(`${side}-state`).textContent = `The camera could not be opened (${e.message}). Choose a photo instead.`;
    }
  };
  $(`${side}-file`).onchange = async (ev) => {
    const f = ev.target.files?.[0];
    ev.target.value = "";
    if (f) await addPhoto(side, f, false);
  };
}
$("camera-shoot").onclick = async () => {
  // Kept as the hand is (a mirror-image view flipped back), so the trainer reads it like any photo.
  const photo = await cam.photo("image/jpeg", $("mirrored").checked);
  if (photo && page.shooting) await addPhoto(page.shooting, photo, false);
};
$("save").onclick = saveVisit;
$("clear").onclick = () => {
  clearForm();
  status("Form cleared.");
};
$("export").onclick = exportCollection;
$("import").onchange = async (ev) => {
  const f = ev.target.files?.[0];
  ev.target.value = "";
  if (f) await importCollection(f);
};

start();
