// The live camera and its capture check, shared by the patient page and the collection page: the
// check runs on every animation frame it can keep up with in video mode (the hand followed from
// frame to frame, landmarks and capture check only), and the shutter is enabled while it passes.
// The checks per second and the frames followed without palm detection are kept in
// `document.body.dataset.gate` for tests.
import { $ } from "./dom.js";

/**
 * The camera of a page holding the shared camera markup: `#camera` (shown while open), `#video`,
 * `#gate` (the check's line, a live region), `#camera-shoot` (the shutter), `#camera-stop`, and
 * `#mirrored` (the view is a mirror image); `detector()` the page's JointDetector, `busy()` whether
 * the page is judging a photo (the check waits meanwhile).
 */
export function camera(detector, busy) {
  const [view, video, gate, shoot] = ["camera", "video", "gate", "camera-shoot"].map($);
  const mirrored = () => $("mirrored").checked;
  let stream = null;
  let request = 0;

  function show(hand) {
    const ok = Boolean(hand?.quality.ok);
    const failed = hand?.quality.checks.find((k) => !k.ok);
    shoot.disabled = !ok;
    const text = !hand ? "No hand in view yet." : ok ? "Good: hold still and take the photo." : failed?.advice ?? "Hold the hand as the outline shows.";
    // Written only when it changes: the line is read out at each change.
    if (gate.textContent !== text) gate.textContent = text;
    gate.className = ok ? "ok" : "";
  }

  function loop() {
    let running = false;
    const counts = { frames: 0, tracked: 0, since: performance.now() };
    const tick = async () => {
      if (!stream) return;
      request = requestAnimationFrame(tick);
      if (running || !video.videoWidth || busy()) return;
      running = true;
      try {
        detector().setOptions({ mirrored: mirrored() });
        const frame = await detector().detectForVideo(video, performance.now());
        if (stream) show(frame.hands[0]);
        counts.frames++;
        counts.tracked += frame.tracked ? 1 : 0;
        const fps = counts.frames / ((performance.now() - counts.since) / 1000);
        document.body.dataset.gate = JSON.stringify({ fps, frames: counts.frames, tracked: counts.tracked, ok: !shoot.disabled });
      } catch {
        /* the next frame tries again */
      } finally {
        running = false;
      }
    };
    request = requestAnimationFrame(tick);
  }

  const cam = {
    /** Open the rear camera; rejects with the browser's error when it cannot be opened. */
    async start() {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false });
      video.srcObject = stream;
      await video.play();
      view.hidden = false;
      shoot.disabled = true;
      loop();
    },
    stop() {
      cancelAnimationFrame(request);
      delete document.body.dataset.gate;
      stream?.getTracks().forEach((t) => t.stop());
      stream = null;
      view.hidden = true;
    },
    /**
     * The current frame as an image file of `type` (then the camera closes), or null before the
     * first frame; `unmirror`: flip a mirror-image view back, so the file shows the hand as it is.
     */
    async photo(type = "image/png", unmirror = false) {
      if (!video.videoWidth) return null;
      const c = new OffscreenCanvas(video.videoWidth, video.videoHeight);
      const ctx = c.getContext("2d");
      if (unmirror) ctx.setTransform(-1, 0, 0, 1, c.width, 0);
      ctx.drawImage(video, 0, 0);
      const blob = await c.convertToBlob({ type, quality: 0.92 });
      this.stop();
      return blob;
    },
  };
  $("camera-stop").onclick = () => cam.stop();
  return cam;
}
