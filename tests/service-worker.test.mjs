// The page's service worker: the page works offline after the first visit, and a rebuilt page
// reaches a browser that has the old one cached.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session, fixtures, upload, variant, stamp } from "./fixtures.mjs";

let fx, session;
before(async () => {
  fx = fixtures();
  session = await Session.start(fx);
});
after(() => session?.close());

test("after the first visit the page works offline", async () => {
  const { page, context } = await session.openPage(`${session.origin}/?backend=cpu`);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    // Installed: every file the page needs is in the cache.
    for (let i = 0; i < 100 && (await (await caches.keys()).length) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  });
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 300_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "cpu");
  const { result } = await upload(page, fx.handPhoto);
  assert.equal(result.hands, 1, JSON.stringify(result));
  await context.close();
});

test("a rebuilt page reaches a browser that has the old one cached", async () => {
  const dir = variant(fx.site, join(fx.scratch, "update-site"), () => {});
  const updateOrigin = await session.serve(dir);
  const context = await session.browser.newContext();
  const { page } = await session.openPage(`${updateOrigin}/?backend=cpu`, context);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const cached = await page.evaluate(() => caches.keys());
  // The rebuild: a changed page, stamped as build-web.sh stamps it.
  const html = readFileSync(join(dir, "index.html"), "utf8");
  writeFileSync(join(dir, "index.html"), html.replace("<h1>jointscope</h1>", '<h1 data-build="2">jointscope</h1>'));
  stamp(dir);
  // The returning visit: served from the old cache first, then the new worker takes over and the
  // page reloads onto the new files.
  await page.goto(`${updateOrigin}/?backend=cpu`);
  await page.waitForSelector('h1[data-build="2"]', { timeout: 60_000 });
  const now = await page.evaluate(() => caches.keys());
  assert.equal(now.length, 1, `caches ${now}`);
  assert.notDeepEqual(now, cached);
  await context.close();
});

test("no request leaves the page's origin and none carries a body", () => {
  session.assertPrivate();
});
