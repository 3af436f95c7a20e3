// Drives bench/web in headless Chromium: the hand-landmark model in our CPU and WebGPU bundles and
// in onnxruntime-web (wasm and WebGPU), same page, same inputs. Prints a Markdown table with each
// runtime's time against our CPU bundle and writes the figures as JSON.
// Usage: node landmarks_web.mjs URL OUT.json [COUNT] [REPEATS]   (scripts/bench-web.sh runs it)
import { launch } from "./chromium.mjs";
import { writeFileSync } from "node:fs";

const [url, out, count = "8", repeats = "5"] = process.argv.slice(2);
if (!url || !out) {
  console.error("usage: node landmarks_web.mjs URL OUT.json [COUNT] [REPEATS]");
  process.exit(2);
}
const browser = await launch(["--enable-unsafe-webgpu"]);
try {
  const page = await browser.newPage();
  // Errors on the console and failed requests (bar the favicon Chromium asks for by itself).
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && console.error("console:", m.text()));
  page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && console.error(`HTTP ${r.status()}: ${r.url()}`));
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(`${url}/`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
  const adapter = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture}${a.info.isFallbackAdapter ? " (fallback adapter)" : ""}`.trim() : "none";
  });
  const figures = await page.evaluate((o) => window.bench(o), { count: Number(count), repeats: Number(repeats) });
  const ua = await page.evaluate(() => navigator.userAgent);
  const base = figures.find((f) => f.runtime === "jointscope cpu" && !f.error);
  console.log(`Hand landmarks in the browser (${ua.match(/Chrome\/[\d.]+/)?.[0] ?? ua}, WebGPU adapter: ${adapter}), ${count} inputs × ${repeats} runs:\n`);
  console.log("| runtime | load ms | first run ms | median ms | time vs our CPU bundle | largest landmark difference (px) |");
  console.log("|---|---|---|---|---|---|");
  for (const f of figures) {
    if (f.error) {
      console.log(`| ${f.runtime} | failed: ${f.error.replaceAll("|", "/").slice(0, 160)} | | | | |`);
      continue;
    }
    const ratio = base ? `${(f.median_ms / base.median_ms).toFixed(2)}×` : "";
    console.log(`| ${f.version} | ${f.load_ms.toFixed(0)} | ${f.first_ms.toFixed(1)} | ${f.median_ms.toFixed(2)} | ${ratio} | ${f.landmark_diff_px.toExponential(1)} |`);
  }
  writeFileSync(out, JSON.stringify({ browser: ua, adapter, count: Number(count), repeats: Number(repeats), figures }, null, 2));
  if (!base) process.exitCode = 1;
} finally {
  await browser.close();
}
