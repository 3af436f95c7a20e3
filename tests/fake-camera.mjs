// A camera for headless Chromium: `context.addInitScript(fakeCamera, [...photoBytes])` makes
// getUserMedia return a 30 frames/s stream filming the photo, moved a pixel to and fro each frame.
// Shared by the page's camera test and the soak benchmark (bench/soak_web.mjs).
export function fakeCamera(bytes) {
  navigator.mediaDevices.getUserMedia = async () => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const canvas = Object.assign(document.createElement("canvas"), { width: bitmap.width, height: bitmap.height });
    const ctx = canvas.getContext("2d");
    let k = 0;
    const draw = () => {
      ctx.drawImage(bitmap, 0, 0);
      ctx.drawImage(bitmap, k++ % 3, 0);
      requestAnimationFrame(draw);
    };
    draw();
    return canvas.captureStream(30);
  };
}
