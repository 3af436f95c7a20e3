// The patient page's verdicts and provenance in words (the judgements themselves are the
// detector's: `inflamed`, `judgeable`, `verdict`).

export const sideName = (s) => (s === "left" ? "left" : "right");

/** A joint's verdict in the page's words (the detector's own `inflamed`). */
export const word = (j) => (j.inflamed ? "flagged" : "not flagged");

/** Whether a hand's joints are shown: the detector says it may be judged, or the patient asked to see it anyway. */
export const judgeable = (hand, anyway) => anyway || hand.judgeable;

/** The whole hands' verdicts in words ("" when the weights give none): "The left hand as a whole: flagged." */
export function handVerdicts(hands) {
  const said = hands.filter((h) => h.verdict).map((h) => `the ${sideName(h.handedness)} hand as a whole: ${h.verdict.flagged ? "flagged" : "not flagged"}`);
  return said.length ? ` ${said.join("; ").replace(/^t/, "T")}.` : "";
}

/** What the weights were trained on, from their sidecar (not assumed), for the page's notice. */
export function provenance(sidecar) {
  const t = sidecar.training_data;
  const nothingReliable = "its results say nothing reliable about your joints.";
  return {
    "drawn": `The model on this page was trained on synthetic drawn hands, not on real patients; ${nothingReliable}`,
    "simulated-signs": `The model on this page was trained on ${t.images} photos of ${t.patients} people's healthy hands with simulated signs of inflammation painted on, not on patients; ${nothingReliable}`,
    "real-labels": `The model on this page was trained on ${t.images} photos of ${t.patients} people (${t.inflamed_joints} of ${t.labelled_joints} joints labelled inflamed at an examination). It can still be wrong about your joints.`,
  }[sidecar.training_photos] ?? `The files of the model on this page do not say what it was trained on, so ${nothingReliable}`;
}

/** What the weights were trained on, for the summary ("" for patients' labelled photos). */
export const trainedOn = (s) => ({
  "drawn": "; trained on synthetic drawn hands only",
  "simulated-signs": "; trained on healthy hands with simulated signs painted on, not on patients",
  "real-labels": "",
}[s?.training_photos] ?? "; what the model was trained on is not recorded");
