// The patient page's one page for the clinic visit: the latest check on the diagram, the trend,
// every date, the weights and threshold, and the notice. Printed or saved as PDF by the browser, on
// this device.
import { diagram, scoreStyle } from "./diagram.js";
import { trend } from "./trend.js";
import { $, paragraph } from "./dom.js";
import { state } from "./state.js";
import { records } from "./records.js";
import { handVerdicts, trainedOn } from "./words.js";

/** Open the summary of every kept check (nothing when none is kept). */
export async function openSummary() {
  const all = (await records()) ?? [];
  if (all.length === 0) return;
  const sorted = [...all].sort((a, b) => new Date(a.date) - new Date(b.date));
  const last = sorted.at(-1);
  const hands = { left: null, right: null };
  for (const h of last.hands) hands[h.handedness] = Object.fromEntries(h.joints.map((j) => [j.name, j.probability]));
  const root = $("summary-body");
  root.replaceChildren();
  root.append(paragraph(`Latest check: ${new Date(last.date).toLocaleString()}. ${sorted.length} check${sorted.length === 1 ? "" : "s"} from ${new Date(sorted[0].date).toLocaleDateString()} to ${new Date(last.date).toLocaleDateString()}.`));
  root.appendChild(diagram(hands, scoreStyle(last.threshold ?? 0.5)));
  const above = last.hands.flatMap((h) => h.joints.filter((j) => j.inflamed).map((j) => `${h.handedness} ${j.name}`));
  root.append(paragraph((above.length ? `Flagged in the latest check: ${above.join(", ")}.` : "No joint flagged in the latest check.") + handVerdicts(last.hands)));
  // What a flag meant, as recorded with the check (or the loaded weights' sentence, when the check came from them).
  const { detector } = state;
  const same = last.weights && last.weights === detector?.sidecar?.weights?.sha256;
  root.append(paragraph(last.meaning ?? (same ? detector.meaning : "What a flag meant for the weights of this check was not recorded.")));
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
  root.append(paragraph(`Weights: ${last.model || "unknown"}${last.weights ? `, SHA-256 ${last.weights.slice(0, 12)}…` : ""}; a joint is flagged at a score of ${(last.threshold ?? 0.5).toFixed(3)} or more (a score, not a percentage)${trainedOn(s)}.`));
  root.append(paragraph($("notice").textContent.replace(/\s+/g, " ").trim()));
  document.body.dataset.view = "summary";
  $("summary").hidden = false;
  $("summary-title").focus();
}

/** Back from the summary to the page. */
export function closeSummary() {
  delete document.body.dataset.view;
  $("summary").hidden = true;
  $("summary-open").focus();
}
