// Drives bench/web's window.stages() in headless Chromium: a whole detection in our CPU bundle,
// stage by stage, on photo files, beside the same photos timed natively (`jointscope bench detect
// --photo …`, its JSON). Prints a Markdown table (page / native per stage) and writes the figures.
// Usage: node stages_web.mjs URL NATIVE.json OUT.json REPEATS PHOTO...   (scripts/bench-web.sh runs it)
import { launch } from "./chromium.mjs";
import { readFileSync, writeFileSync } from "node:fs";

const [url, nativeJson, out, repeats, ...photos] = process.argv.slice(2);
if (!url || !out || photos.length === 0) {
  console.error("usage: node stages_web.mjs URL NATIVE.json OUT.json REPEATS PHOTO...");
  process.exit(2);
}
const native = JSON.parse(readFileSync(nativeJson, "utf8"));
const browser = await launch();
try {
  const page = await browser.newPage();
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && console.error("console:", m.text()));
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(`${url}/`);
  await page.waitForFunction(() => document.body.dataset.stagesReady, null, { timeout: 60000 });
  const web = await page.evaluate((o) => window.stages(o), { photos, repeats: Number(repeats) });
  const ua = await page.evaluate(() => navigator.userAgent);
  console.log(`\nA photo in the page, stage by stage (${ua.match(/Chrome\/[\d.]+/)?.[0] ?? ua}, our CPU bundle, 1 thread) against`
    + ` native ${native.backend}, ${photos.length} photos × ${repeats} runs, medians per photo;`
    + ` ${web.hands_per_photo.toFixed(1)} hands and ${web.joints_per_photo.toFixed(1)} joints per photo in the page (native: ${native.config}):\n`);
  console.log("| stage | native ms | page ms | page / native |");
  console.log("|---|---|---|---|");
  const nat = new Map(native.stages);
  const row = (name, n, w) => console.log(`| ${name} | ${n?.toFixed(2) ?? "—"} | ${w.toFixed(2)} | ${n ? (w / n).toFixed(2) + "×" : ""} |`);
  for (const [stage, ms] of web.stages) row(stage, nat.get(stage), ms);
  row("**whole photo**", native.median_ms, web.total_ms);
  writeFileSync(out, JSON.stringify({ browser: ua, photos, repeats: Number(repeats), page: web, native }, null, 2));
} finally {
  await browser.close();
}
