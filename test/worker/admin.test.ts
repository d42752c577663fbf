/**
 * The admin page served by the real Worker (wrangler.toml, worker/index.ts) under `wrangler dev` (workerd), in
 * Chromium: it loads with its stylesheet and script (wrangler's Text rule), and signing in with the API token leads
 * to the dashboard, whose figures come from the database behind the Hrana test server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchBrowser, newPage } from "../support/browser.ts";
import { useWorker } from "../support/worker.ts";

const TOKEN = "worker-admin-token-123456";
const worker = useWorker({ database: {}, vars: { DSCRAPER_API_TOKEN: TOKEN } });

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe("the admin page in the Worker", () => {
  test("loads the sign-in page with its assets and signs in", async () => {
    const { page, watch, close } = await newPage(browser);
    try {
      await page.goto(`${worker.current.url}/admin`);
      expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
      // The stylesheet applied (the header is dark) and the script ran (it marks the document).
      await page.waitForFunction(() => document.documentElement.classList.contains("js"));
      expect(await page.evaluate(() => getComputedStyle(document.querySelector("header.top")!).backgroundColor)).toBe("rgb(20, 26, 42)");
      await page.fill("#f-token", TOKEN);
      await Promise.all([page.waitForURL(`${worker.current.url}/admin`), page.click("button:has-text('Sign in')")]);
      await expect(page.locator("h1").textContent()).resolves.toBe("Dashboard");
      const [cookie] = await page.context().cookies();
      expect(cookie).toMatchObject({ name: "dscraper_session", httpOnly: true, sameSite: "Strict" });
      expect(watch.dialogs).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.outside).toEqual([]);
      expect(watch.csp).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);
});
