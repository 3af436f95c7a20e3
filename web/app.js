// The patient page: photos of the left and the right hand (camera or file) → hands and joints found
// on this device → a capture check that says what to fix, a warning when the photo is unlike the
// training photos, and otherwise both hands on one diagram; checks kept in this browser, their trend
// over time, and a one-page summary to print for the clinic. Every judgement comes from the Rust
// detector (pkg/). This module starts the detector and wires the page's controls to the modules:
// state.js (the one state object), result.js (a photo's result and the check under way),
// records.js (the kept checks), history-view.js (their list and trend), summary.js, camera.js.
import { JointDetector } from "./pkg/index.js";
import { camera } from "./camera.js";
import { explain } from "./explain.js";
import { $, status } from "./dom.js";
import { state, checkOpen, clearCheck } from "./state.js";
import { provenance } from "./words.js";
import { analyse, showAnyway, showCheck } from "./result.js";
import * as records from "./records.js";
import { showHistory } from "./history-view.js";
import { openSummary, closeSummary } from "./summary.js";

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
    const detector = await JointDetector.create({ weights: "weights/jointscope.bpk", models: "pkg/models/", backend, worker: params.get("worker") !== "0", answerTimeoutMs });
    state.detector = detector;
    $("backend").textContent = detector.backend === "webgpu" ? "WebGPU (your graphics chip)" : "the CPU (WebAssembly)";
    $("provenance").textContent = provenance(detector.sidecar);
    document.body.dataset.trainingPhotos = detector.sidecar.training_photos ?? "unrecorded";
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
  records.onChangedElsewhere(() => showHistory());
}

/** The detector died under a photo (its worker killed, its GPU lost) and runs again on the CPU: say so. */
function restarted(e) {
  $("backend").textContent = "the CPU (WebAssembly), restarted after the detector stopped";
  document.body.dataset.restarts = String(state.detector.restarts);
  status(`The detector stopped (${e.detail.reason}). Trying the photo again…`);
}

// A new version of the page took over (its service worker): reload onto it, but never under an
// open check or a photo being judged: then once the check is kept or dropped.
function updateReady() {
  if (!checkOpen()) return location.reload();
  state.updatePending = true;
  document.body.dataset.update = "pending";
  $("update").hidden = false;
}

/** Start a new check (dropping the one under way), or reload onto a waiting new version of the page. */
function newCheck() {
  clearCheck();
  if (state.updatePending) return location.reload();
  showCheck();
}

async function save() {
  if (!(await records.save())) return;
  newCheck();
  status("Check kept on this device. Take a new one any time to follow the trend.");
  await showHistory();
}

const cam = camera(() => state.detector, () => state.busy);

async function cameraStart() {
  if (!state.detector) return;
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

/** `then(file)` with the file chosen in the input `id`, which is emptied so the same file can be chosen again. */
function onFile(id, then) {
  $(id).onchange = async (ev) => {
    const f = ev.target.files?.[0];
    ev.target.value = "";
    if (f) await then(f);
  };
}

onFile("file", (f) => analyse(f, f.name));
$("anyway").onclick = showAnyway;
$("camera-start").onclick = cameraStart;
$("camera-shoot").onclick = cameraShoot;
$("save").onclick = save;
$("new-check").onclick = newCheck;
$("history-export").onclick = records.exportHistory;
onFile("history-import", async (f) => {
  await records.importHistory(f);
  await showHistory();
});
$("history-delete").onclick = async () => {
  if (confirm("Delete every stored check from this browser?")) {
    await records.clearAll();
    await showHistory();
  }
};
$("summary-open").onclick = openSummary;
$("summary-print").onclick = () => print();
$("summary-close").onclick = closeSummary;

start();
