// The live camera's capture check in headless Chromium: the package's video mode (`detectForVideo`:
// the hand followed from frame to frame, landmarks and capture check only) against the whole
// detection the camera gate ran before it (`detect` on every check, then a 250 ms pause), on a clip of
// a real photo moved and turned a little each frame, at 640 × 480 and 1 280 × 720, in the CPU bundle
// and its worker as the page runs them. Prints a Markdown table and writes the figures.
// Usage: node video_web.mjs URL OUT.json FRAMES PHOTO   (scripts/bench-web.sh runs it; URL serves
// the package at /pkg/ and the weights at /weights/)
import { launch } from "./chromium.mjs";
import { readFileSync, writeFileSync } from "node:fs";

const [url, out, frames, photo] = process.argv.slice(2);
if (!url || !out || !photo) {
  console.error("usage: node video_web.mjs URL OUT.json FRAMES PHOTO");
  process.exit(2);
}
// What the gate waited between two whole detections before video mode.
const OLD_PAUSE_MS = 250;

const browser = await launch();
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(`${url}/`);
  const rows = await page.evaluate(measure, { bytes: [...readFileSync(photo)], frames: Number(frames) || 30 });
  const ua = await page.evaluate(() => navigator.userAgent);
  console.log(`\nThe camera's capture check per frame (${ua.match(/Chrome\/[\d.]+/)?.[0] ?? ua}, CPU bundle in its worker,`
    + ` ${rows[0].frames} frames of ${photo.split("/").pop()} moved 4 px and turned 1.5° a frame; medians):\n`);
  console.log("| frame | whole detection ms | checks/s before (+ 250 ms pause) | video mode ms | checks/s now | speed-up | frames followed |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const before = 1000 / (r.detect_ms + OLD_PAUSE_MS);
    const now = 1000 / r.video_ms;
    console.log(`| ${r.width} × ${r.height} | ${r.detect_ms.toFixed(1)} | ${before.toFixed(1)} | ${r.video_ms.toFixed(1)} | ${now.toFixed(1)} | ${(now / before).toFixed(1)}× | ${r.tracked} of ${r.frames} (${r.found} with a hand) |`);
  }
  writeFileSync(out, JSON.stringify({ browser: ua, photo, old_pause_ms: OLD_PAUSE_MS, rows }, null, 2));
} finally {
  await browser.close();
}

/** In the page: time `detect` and `detectForVideo` on the clip at each size (medians per frame). */
async function measure({ bytes, frames }) {
  const { JointDetector } = await import("/pkg/index.js");
  const d = await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" });
  const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
  const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const clip = (w, h) =>
    Array.from({ length: frames }, (_, k) => {
      const c = new OffscreenCanvas(w, h);
      const ctx = c.getContext("2d");
      const s = Math.min(w / bitmap.width, h / bitmap.height);
      ctx.translate(w / 2 + (4 * k * w) / 640, h / 2 + (3 * k * w) / 640);
      ctx.rotate((1.5 * k * Math.PI) / 180);
      ctx.drawImage(bitmap, (-bitmap.width * s) / 2, (-bitmap.height * s) / 2, bitmap.width * s, bitmap.height * s);
      return c;
    });
  let timestamp = performance.now();
  const rows = [];
  for (const [width, height] of [[640, 480], [1280, 720]]) {
    const canvases = clip(width, height);
    await d.detect(canvases[0]); // warm-up at this size
    const whole = [];
    for (const c of canvases) {
      const t0 = performance.now();
      await d.detect(c);
      whole.push(performance.now() - t0);
    }
    const video = [];
    let tracked = 0;
    let found = 0;
    for (const c of canvases) {
      const t0 = performance.now();
      const f = await d.detectForVideo(c, (timestamp += 33));
      video.push(performance.now() - t0);
      tracked += f.tracked ? 1 : 0;
      found += f.hands.length > 0 ? 1 : 0;
    }
    rows.push({ width, height, frames, detect_ms: median(whole), video_ms: median(video), tracked, found });
  }
  d.close();
  return rows;
}
