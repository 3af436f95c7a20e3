// The patient page's list of kept checks and their trend over time.
import { trend } from "./trend.js";
import { $ } from "./dom.js";
import { stored, remove } from "./records.js";
import { state } from "./state.js";

/** Draw the kept checks: a list with thumbnails and delete buttons, and their trend. */
export async function showHistory() {
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
  for (const u of state.thumbnails.splice(0)) URL.revokeObjectURL(u);
  note.hidden = unreadable === 0;
  if (unreadable) note.textContent = `${unreadable} stored check${unreadable === 1 ? " is" : "s are"} damaged and could not be read: not shown.`;
  ul.replaceChildren();
  for (const r of [...all].reverse()) {
    const li = document.createElement("li");
    li.dataset.date = r.date;
    if (r.thumbnail) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(new Blob([r.thumbnail], { type: "image/jpeg" }));
      state.thumbnails.push(img.src);
      img.alt = "";
      li.appendChild(img);
    }
    const n = r.hands.reduce((s, h) => s + h.joints.filter((j) => j.inflamed).length, 0);
    li.append(`${new Date(r.date).toLocaleString()}: ${r.hands.map((h) => h.handedness).join(" + ")} hand, ${n} flagged `);
    const del = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Delete" });
    del.setAttribute("aria-label", `Delete the check of ${new Date(r.date).toLocaleString()}`);
    del.onclick = async () => {
      await remove(r.id);
      await showHistory();
    };
    li.appendChild(del);
    ul.appendChild(li);
  }
  $("trend").replaceChildren(trend(all));
  $("summary-open").disabled = all.length === 0;
}
