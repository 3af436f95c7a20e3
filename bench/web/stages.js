// A whole detection in the page, stage by stage: our CPU bundle's JointDetector (the patient
// page's code, without its worker) on photo files, each decoded and detected `repeats` times after
// a warm-up; `profileEncoded` times the stages with performance.now().
// window.stages({ photos, repeats }) resolves to { total_ms, stages: [[stage, median ms]], runs }.
import initCpu, { JointDetector } from "./wasm/cpu/jointscope_wasm.js";
import { bytes, median } from "./common.js";

window.stages = async ({ photos, repeats = 5 }) => {
  await initCpu();
  const detector = await JointDetector.create(
    await bytes("models/palm_detection_full.tflite"), await bytes("models/hand_landmark_full.tflite"),
    await bytes("weights/jointscope.json"), await bytes("weights/jointscope.bpk"), "cpu");
  const totals = [];
  const perStage = new Map();
  let hands = 0, joints = 0;
  for (const name of photos) {
    const file = await bytes(`photos/${name}`);
    for (let r = 0; r <= repeats; r++) {
      const t = performance.now();
      const p = await detector.profileEncoded(file.slice());
      const ms = performance.now() - t;
      if (r === 0) {
        hands += p.detection.hands.length;
        joints += p.detection.hands.reduce((n, h) => n + h.joints.length, 0);
        continue;
      }
      totals.push(ms);
      for (const [stage, v] of p.stages) perStage.set(stage, [...(perStage.get(stage) ?? []), v]);
    }
  }
  detector.free();
  return { total_ms: median(totals), stages: [...perStage].map(([s, v]) => [s, median(v)]), runs: totals.length,
    hands_per_photo: hands / photos.length, joints_per_photo: joints / photos.length };
};
document.body.dataset.stagesReady = "1";
