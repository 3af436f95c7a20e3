// The patient page (dist/web, from scripts/build-web.sh) in real headless Chromium: detection on the
// CPU bundle and on WebGPU (SwiftShader), parity with the native `jointscope detect`, the capture
// check and the unfamiliar-photo warning, saved checks and their trend, the summary, layout and
// accessibility, and privacy (no request leaves the origin, none carries a body).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, REAL, SHOTS, Session, fixtures, upload, worstOf } from "./fixtures.mjs";
import { fakeCamera } from "./fake-camera.mjs";

let fx, session;
before(async () => {
  fx = fixtures();
  session = await Session.start(fx);
});
after(() => session?.close());

// The page against native `jointscope detect` (flex) on six photos: measured at most 2.8e-4 px and
// 2.6e-7 (WebGPU on SwiftShader; the CPU bundle 9.5e-5 px and 1.9e-7). The tolerances allow 3.5×
// and 3.8×; the parity test logs each run's figures.
const PARITY = { landmarksPx: 1e-3, probability: 1e-6 };

for (const backend of ["cpu", "webgpu"]) {
  test(`the page finds the joints and refuses bad photos on ${backend}`, async () => {
    const { page, context } = await session.openPage(`${session.origin}/?backend=${backend}`);
    assert.equal(await page.evaluate(() => document.body.dataset.ready), backend);
    assert.match(await page.textContent("#notice"), /not a diagnosis/);

    const first = await upload(page, fx.handPhoto);
    assert.equal(first.result.hands, 1, JSON.stringify(first));
    assert.deepEqual([first.result.judged, first.result.failing, first.result.unfamiliar], [1, [], false], JSON.stringify(first));
    if (backend === "cpu") {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, "good-photo.png"), fullPage: true });
    }
    assert.equal(await page.locator("#joints tr[data-joint]").count(), 11);
    // Each verdict in words, no bare probability, and what a flag means next to them.
    const verdicts = await page.locator("#joints tr[data-joint] td:nth-child(2)").allTextContents();
    assert.ok(verdicts.every((v) => v === "flagged" || v === "not flagged"), JSON.stringify(verdicts));
    assert.doesNotMatch(await page.textContent("#result"), /\d %/);
    assert.match(await page.textContent("#meaning"), /^Flagged means: at this setting the model found .* \(\d+ patients, \d+ inflamed joints of \d+; drawn synthetic hands, not real ones\)\.$/);
    assert.equal(await page.locator("#meaning").isVisible(), true);
    // The whole hand's own verdict, in words, from the weights' hand rule.
    assert.match(first.status, /: \d+ joints? flagged \(\d+ ms\)\. The (left|right) hand as a whole: (flagged|not flagged)\. This is not a diagnosis\./);
    const warm = await upload(page, fx.handPhoto);
    session.timings.push(`${backend}: first detection ${first.result.ms.toFixed(0)} ms, warm ${warm.result.ms.toFixed(0)} ms`);

    const wall = await upload(page, fx.wallPhoto);
    assert.equal(wall.result.hands, 0);
    assert.match(wall.status, /No hand found/);

    for (const [file, pattern] of [
      ["notes.jpg", /^This photo could not be used: photo: not a readable image: unrecognised file format \(expected JPEG, PNG or WebP\)\.$/],
      ["corrupt.jpg", /^This photo could not be used: photo: not a readable image: truncated JPEG: its image data ends before the end-of-image marker\.$/],
      ["huge.png", /^This photo could not be used: photo: image too large: 8192×6144 pixels, the limits are 16384 per side and 50000000 in all: take the photo at a lower resolution \(12 megapixels is plenty for a hand\) or crop it around the hand\.$/],
      ["grey.png", /^This photo could not be used: photo: no colour \(greyscale or black and white\): take a colour photo, since redness is part of what is judged\.$/],
    ]) {
      const bad = await upload(page, join(fx.tmp, file));
      assert.equal(bad.result.error, "ImageError", `${file}: ${JSON.stringify(bad.result)}`);
      assert.match(bad.status, pattern, `${file}: ${bad.status}`);
    }
    // A WebP photo (what some phones share) is read like a JPEG: the same hand, made WebP by the browser.
    const webp = Buffer.from(await page.evaluate(async (bytes) => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
      const c = new OffscreenCanvas(bitmap.width, bitmap.height);
      c.getContext("2d").drawImage(bitmap, 0, 0);
      return [...new Uint8Array(await (await c.convertToBlob({ type: "image/webp", quality: 0.95 })).arrayBuffer())];
    }, [...readFileSync(fx.handPhoto)]));
    assert.equal(webp.subarray(8, 12).toString(), "WEBP");
    const fromWebp = await upload(page, { name: "hand.webp", mimeType: "image/webp", buffer: webp });
    assert.equal(fromWebp.result.hands, 1, JSON.stringify(fromWebp));
    // And the page still works.
    const again = await upload(page, fx.handPhoto);
    assert.equal(again.result.hands, first.result.hands);
    await context.close();
  });

  test(`the page's detections equal native jointscope detect on six photos on ${backend}`, async () => {
    const { page, context } = await session.openPage(`${session.origin}/?backend=${backend}`);
    const inPage = [];
    for (const photo of fx.parityPhotos) {
      inPage.push(
        await page.evaluate(
          async ({ backend, bytes }) => {
            const { JointDetector } = await import("/pkg/index.js");
            const d = (window.__parity ??= await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend }));
            return d.detect(new Blob([new Uint8Array(bytes)]));
          },
          { backend, bytes: [...readFileSync(photo)] },
        ),
      );
    }
    const landmarks = [];
    const probabilities = [];
    let hands = 0;
    for (const [k, ours] of inPage.entries()) {
      const theirs = fx.native[k].detection;
      assert.equal(ours.hands.length, theirs.hands.length, fx.parityPhotos[k]);
      for (const [h, hand] of ours.hands.entries()) {
        const other = theirs.hands[h];
        assert.equal(hand.handedness, other.handedness);
        hands++;
        hand.landmarks.forEach((p, i) => landmarks.push([p[0], other.landmarks[i][0]], [p[1], other.landmarks[i][1]]));
        hand.joints.forEach((j, i) => {
          assert.equal(j.joint, other.joints[i].joint);
          assert.equal(j.inflamed, other.joints[i].inflamed);
          probabilities.push([j.probability, other.joints[i].probability]);
        });
      }
    }
    const [lm, pr] = [worstOf(landmarks), worstOf(probabilities)];
    session.timings.push(`${backend}: parity over ${fx.parityPhotos.length} photos, ${hands} hands: landmarks ${lm.toExponential(2)} px, probabilities ${pr.toExponential(2)}`);
    assert.ok(hands >= 5, `${hands} hands found`);
    assert.ok(lm <= PARITY.landmarksPx && pr <= PARITY.probability, `landmarks ${lm} px, probabilities ${pr}`);
    await context.close();
  });
}

test("weights whose encoder starts from MediaPipe's network load in the page and judge as native detect does", async () => {
  const mpOrigin = await session.serve(fx.mediapipeSite);
  const { page, context } = await session.openPage(`${mpOrigin}/?backend=cpu`);
  const probabilities = [];
  for (const [k, photo] of fx.parityPhotos.slice(0, 2).entries()) {
    const ours = await page.evaluate(
      async ({ bytes }) => {
        const { JointDetector } = await import("/pkg/index.js");
        const d = (window.__mp ??= await JointDetector.create({ weights: "/weights/jointscope.bpk", models: "/pkg/models/", backend: "cpu" }));
        return { detection: await d.detect(new Blob([new Uint8Array(bytes)])), encoder: d.sidecar.architecture.encoder };
      },
      { bytes: [...readFileSync(photo)] },
    );
    assert.equal(ours.encoder, "mediapipe");
    const theirs = fx.mediapipeNative[k].detection;
    assert.equal(ours.detection.hands.length, theirs.hands.length);
    ours.detection.hands.forEach((h, i) => h.joints.forEach((j, n) => probabilities.push([j.probability, theirs.hands[i].joints[n].probability])));
  }
  const worst = worstOf(probabilities);
  session.timings.push(`MediaPipe-initialised weights: ${probabilities.length} joints, probabilities within ${worst.toExponential(2)} of native`);
  assert.ok(probabilities.length >= 11 && worst <= PARITY.probability, `${probabilities.length} joints, worst ${worst}`);
  await context.close();
});

test("the notice says what the weights were trained on, from their sidecar", async () => {
  const synthetic = await session.openPage(`${session.origin}/?backend=cpu`);
  assert.match(await synthetic.page.textContent("#provenance"), /trained on synthetic drawn hands/);
  await synthetic.context.close();
  const real = await session.openPage(`${session.realOrigin}/?backend=cpu`);
  assert.match(await real.page.textContent("#provenance"), /^The model on this page was trained on 24 photos of 12 people \(\d+ of \d+ joints labelled inflamed at an examination\)/);
  await real.context.close();
});

test("weights trained on painted healthy hands say so, not that they saw patients", async () => {
  const painted = await session.openPage(`${session.paintedOrigin}/?backend=cpu`);
  assert.match(await painted.page.textContent("#provenance"), /^The model on this page was trained on 24 photos of 12 people's healthy hands with simulated signs of inflammation painted on, not on patients; its results say nothing reliable about your joints\.$/);
  await painted.context.close();
});

test("weights whose sidecar does not say what they were trained on are not taken for patients' ones", async () => {
  const unrecorded = await session.openPage(`${session.unrecordedOrigin}/?backend=cpu`);
  assert.match(await unrecorded.page.textContent("#provenance"), /do not say what it was trained on, so its results say nothing reliable/);
  await unrecorded.context.close();
});

test("truncated weights give a readable message", async () => {
  const { page, context } = await session.openPage(`${session.badOrigin}/?backend=cpu`);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "failed");
  assert.match(await page.textContent("#status"), /damaged or do not match.*truncated/);
  await context.close();
});

// The capture check and the unfamiliar-photo warning, in the page: what failed is said, and no
// verdict is shown for a photo that fails.
test("a blurred, a dark, a cropped, a real palm-up and a real thumbs-up photo each get the right failing check and no verdicts", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const good = await upload(page, fx.handPhoto);
  assert.deepEqual([good.result.judged, good.result.failing], [1, []], JSON.stringify(good.result));
  for (const [file, check] of [
    [join(fx.samples, "blurred.png"), "sharpness"],
    [join(fx.samples, "dark.png"), "exposure"],
    [join(fx.samples, "cropped.png"), "joints_in_frame"],
    [join(REAL, "11k_f_p.jpg"), "back_of_hand"],
    [join(REAL, "mp_thumbs_up.jpg"), "fingers_straight"],
  ]) {
    const r = await upload(page, file);
    assert.equal(r.result.judged, 0, `${file}: ${JSON.stringify(r.result)}`);
    assert.ok(r.result.failing.includes(check), `${file}: fails ${r.result.failing}, not ${check}`);
    assert.equal(await page.locator("#joints tr[data-joint]").count(), 0, file);
    assert.ok((await page.textContent(`#advice li[data-check="${check}"]`)).length > 20, file);
    assert.match(r.status, /cannot be judged/);
  }
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "failing-photo.png"), fullPage: true });
  // "Show anyway" (for researchers) shows the estimates of the last photo.
  await page.click("#anyway");
  assert.equal(await page.locator("#joints tr[data-joint]").count(), 11);
  await context.close();
});

test("a real hand photo gets the unfamiliar-photo message with weights trained on drawn hands", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  const r = await upload(page, join(REAL, "11k_f_d.jpg"));
  assert.deepEqual([r.result.hands, r.result.judged, r.result.unfamiliar], [1, 0, true], JSON.stringify(r.result));
  assert.match(await page.textContent('#advice li[data-check="unfamiliar"]'), /not trained on photos like this one/);
  assert.equal(await page.locator("#joints tr[data-joint]").count(), 0);
  await context.close();
});

/** Save the check made of `photo` (the hand it shows; the other one stays missing). */
async function saveCheck(page, photo) {
  await upload(page, photo);
  const before = await page.locator("#history-list li").count();
  await page.click("#save");
  await page.waitForFunction((n) => document.querySelectorAll("#history-list li").length > n, before);
}

test("two saved checks show in the trend, and export → delete → import restores them", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  page.on("dialog", (d) => d.accept());
  await saveCheck(page, fx.handPhoto);
  await saveCheck(page, fx.handPhoto);
  // One chart per joint of the hand checked, each with both checks' points.
  assert.equal(await page.locator('#trend svg.spark[data-points="2"]').count(), 11);
  mkdirSync(SHOTS, { recursive: true });
  await page.locator("#history").screenshot({ path: join(SHOTS, "trend.png") });
  const stored = await page.evaluate(async () => (await import("/history.js")).all());
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#history-export")]);
  const file = join(fx.scratch, "history.json");
  await download.saveAs(file);
  await page.click("#history-delete");
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length === 0);
  await page.setInputFiles("#history-import", file);
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length === 2);
  const restored = await page.evaluate(async () => (await import("/history.js")).all());
  const strip = (r) => r.map(({ id, thumbnail, ...rest }) => rest);
  assert.deepEqual(strip(restored), strip(stored));
  // Importing the same file again adds nothing; a broken file changes nothing and says why.
  await page.setInputFiles("#history-import", file);
  await page.waitForFunction(() => /Imported 0 checks/.test(document.getElementById("status").textContent));
  writeFileSync(join(fx.scratch, "broken.json"), JSON.stringify([{ date: "2026-01-01", hands: [{ handedness: "middle", joints: [] }] }]));
  await page.setInputFiles("#history-import", join(fx.scratch, "broken.json"));
  await page.waitForFunction(() => /could not be imported: check 1: handedness/.test(document.getElementById("status").textContent));
  assert.equal(await page.locator("#history-list li").count(), 2);

  // The summary for the clinic visit renders from the saved checks, printable as one page.
  await page.click("#summary-open");
  await page.waitForSelector("#summary:not([hidden]) #summary-body svg.diagram");
  const text = await page.textContent("#summary-body");
  assert.match(text, /Latest check: .* 2 checks from/);
  assert.match(text, /in the latest check[^.]*\. The (left|right) hand as a whole: (flagged|not flagged)/);
  assert.match(text, /not a diagnosis/i);
  assert.match(text, /a joint is flagged at a score of 0\.\d{3} or more \(a score, not a percentage\)/);
  // What a flag meant, as recorded with the check, and no bare percentage anywhere.
  assert.match(text, /Flagged means: at this setting the model found .* of the inflamed joints in its test photos and also flagged .* of the healthy ones/);
  assert.doesNotMatch(text, /\d %/);
  assert.equal(await page.locator("#summary-body svg.spark").count() >= 11, true);
  await page.screenshot({ path: join(SHOTS, "summary.png"), fullPage: true });
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("main").isVisible(), false);
  assert.equal(await page.locator("#summary-body").isVisible(), true);
  await page.emulateMedia({ media: "screen" });
  await page.click("#summary-close");
  assert.equal(await page.locator("main").isVisible(), true);
  await context.close();
});

test("an imported history's change larger than the retake difference is highlighted in the trend", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  await page.setInputFiles("#history-import", fx.historyFile);
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length === 2);
  assert.equal(await page.locator('#trend svg[data-hand="left"][data-joint="MCP2"] line[data-change="1"]').count(), 1);
  assert.equal(await page.locator('#trend line[data-change="1"]').count(), 1);
  assert.match(await page.textContent("#trend .changes"), /left MCP2 0\.10 → 0\.70, flagged \(/);
  await context.close();
});

test("the camera's capture check follows the hand frame by frame and opens the shutter, whose photo is judged", async () => {
  // A camera that films the test photo, moving a pixel to and fro: a canvas stream in place of getUserMedia's.
  const context = await session.browser.newContext();
  await context.addInitScript(fakeCamera, [...readFileSync(fx.handPhoto)]);
  const { page } = await session.openPage(`${session.origin}/?backend=cpu`, context);
  await page.click("#camera-start");
  await page.waitForFunction(() => JSON.parse(document.body.dataset.gate ?? "{}").frames >= 10, null, { timeout: 120_000 });
  const gate = JSON.parse(await page.evaluate(() => document.body.dataset.gate));
  session.timings.push(`camera gate (CPU bundle, ${await page.evaluate(() => `${document.getElementById("video").videoWidth}×${document.getElementById("video").videoHeight}`)}): ${gate.fps.toFixed(1)} checks/s, ${gate.tracked} of ${gate.frames} frames followed`);
  // Palm detection on the first frame only: every later frame follows the hand.
  assert.equal(gate.tracked, gate.frames - 1, JSON.stringify(gate));
  assert.equal(await page.locator("#camera-shoot").isEnabled(), true);
  assert.equal(await page.textContent("#gate"), "Good: hold still and take the photo.");
  await page.evaluate(() => delete document.body.dataset.result);
  await page.click("#camera-shoot");
  await page.waitForFunction(() => document.body.dataset.result && !document.body.dataset.busy, null, { timeout: 300_000 });
  const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  assert.deepEqual([result.hands, result.judged], [1, 1], JSON.stringify(result));
  assert.equal(await page.locator("#camera").isHidden(), true);
  await context.close();
});

test("the page at 360 px wide has no horizontal scroll", async () => {
  const context = await session.browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
  const { page } = await session.openPage(`${session.origin}/?backend=cpu`, context);
  await upload(page, fx.handPhoto);
  await page.setInputFiles("#history-import", fx.historyFile);
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length >= 2);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide`);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "good-photo-360px.png"), fullPage: true });
  await context.close();
});

test("an axe-core scan of the page with a result reports no serious or critical violation", async () => {
  // The scanner is injected as a script: allowed past the page's CSP for this test only.
  const context = await session.browser.newContext({ bypassCSP: true });
  const { page } = await session.openPage(`${session.origin}/?backend=cpu`, context);
  await upload(page, fx.handPhoto);
  await page.setInputFiles("#history-import", fx.historyFile);
  await page.waitForFunction(() => document.querySelectorAll("#history-list li").length >= 2);
  await page.addScriptTag({ path: join(ROOT, "tests", "node_modules", "axe-core", "axe.min.js") });
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })));
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  session.timings.push(`axe-core: ${violations.length} violations (${violations.map((v) => `${v.id}/${v.impact}`).join(", ") || "none"})`);
  assert.deepEqual(serious, []);
  await context.close();
});

test("the CPU bundle is built with WebAssembly SIMD, and the page runs it", async () => {
  // rustc records the target features a module was built with in its target_features section.
  const wasm = readFileSync(join(fx.site, "pkg", "wasm", "cpu", "jointscope_wasm_bg.wasm"));
  assert.ok(wasm.includes(Buffer.from("target_features")) && wasm.includes(Buffer.from("simd128")), "no simd128 in target_features");
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  assert.equal(await page.evaluate(async () => (await import("/pkg/engine.js")).simdAvailable()), true);
  const { result } = await upload(page, fx.handPhoto);
  assert.equal(result.hands, 1);
  await context.close();
});

test("no request leaves the page's origin and none carries a body", () => {
  session.assertPrivate();
});
