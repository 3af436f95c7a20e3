// Manual check of a served page: node smoke.mjs http://127.0.0.1:8080 photo.jpg [cpu|webgpu]
// (loads it in headless Chromium, detects twice, prints the status, the timings and the joint list).
import { chromium } from "playwright-core";
const [url, file, backend = "cpu"] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--enable-unsafe-webgpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
const page = await browser.newPage();
page.on("console", (m) => console.log("console:", m.type(), m.text()));
// The detector runs in a Web Worker: its console (e.g. WGSL compilation errors) is where GPU failures show.
page.on("worker", (w) => w.on("console", (m) => console.log("worker console:", m.type(), m.text())));
page.on("pageerror", (e) => console.log("pageerror:", e.message));
page.on("requestfailed", (r) => console.log("requestfailed:", r.url(), r.failure()?.errorText));
const t0 = Date.now();
await page.goto(`${url}/?backend=${backend}`);
await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 300000 });
console.log("ready", await page.evaluate(() => document.body.dataset.ready), Date.now() - t0, "ms;", await page.textContent("#status"));
if (file) {
  for (let i = 0; i < 2; i++) {
    await page.evaluate(() => delete document.body.dataset.result);
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => document.body.dataset.result && !document.body.dataset.busy, null, { timeout: 300000 });
    console.log("result", await page.evaluate(() => document.body.dataset.result), await page.textContent("#status"));
  }
  console.log(await page.locator("#joints").innerText());
}
await browser.close();
