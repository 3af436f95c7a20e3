// The headless Chromium the page benchmarks run in ($CHROMIUM or /usr/bin/chromium), quiet: no
// background traffic, no QUIC; `extra` arguments added (the landmark bench enables WebGPU).
import { chromium } from "playwright-core";

export function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", ...extra, "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
