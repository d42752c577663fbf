/**
 * The admin page served by the real Worker (wrangler.toml, worker/index.ts) under `wrangler dev` (workerd), in
 * Chromium: it loads with its stylesheet and script (wrangler's Text rule), and signing in with the API token leads
 * to the dashboard. "Crawl now" queues the crawl on the Worker's jobs queue, the job's page follows it to its end,
 * and the items show with their thumbnails, read from R2.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { Page } from "playwright-core";
import { launchBrowser, newPage } from "../support/browser.ts";
import { useWorker } from "../support/worker.ts";
import { workerApi } from "./support/api.ts";
import { quotesBundle, startQuotesSite, type QuotesSite } from "./support/quotes.ts";

const TOKEN = "worker-admin-token-123456";
const worker = useWorker({ database: {}, vars: { DSCRAPER_API_TOKEN: TOKEN } });

const api = workerApi(() => worker.current, TOKEN);

let browser: Browser;
let site: QuotesSite | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${worker.current.url}/admin/sign-in`);
  await page.fill("#f-token", TOKEN);
  await Promise.all([page.waitForURL(`${worker.current.url}/admin`), page.click("button:has-text('Sign in')")]);
}

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

  test("crawl now: the job runs on the Worker's queue, its page follows it to its end, and the items show with their thumbnails from R2", async () => {
    site = await startQuotesSite(2, 2, 2, { "/robots.txt": { body: "User-agent: *\n", type: "text/plain" } });
    await api.import(quotesBundle(site.url, "admin-quotes", site.pages, { status: "MANUAL", className: "AdminQuote" }));
    const { id } = await api.source("admin-quotes");
    const { page, watch, close } = await newPage(browser);
    try {
      await signIn(page);
      await page.goto(`${worker.current.url}/admin/sources/${id}`);
      await page.click("button:has-text('Crawl now')");
      await page.waitForURL(/\/admin\/jobs\/\d+$/);
      await page.waitForFunction(() => document.querySelector("#job-live")?.getAttribute("data-status") === "succeeded", undefined, { timeout: 120_000 });
      expect(await page.locator("#job-live").textContent()).toContain("saved 4, updated 0");

      await page.goto(`${worker.current.url}/admin/items?source=${id}`);
      await expect(page.locator("tr[data-item]").count()).resolves.toBe(4);
      await page.waitForFunction(() => {
        const imgs = [...document.querySelectorAll<HTMLImageElement>("img.thumb")];
        return imgs.length === 4 && imgs.every((img) => img.complete && img.naturalWidth > 0);
      });
      expect(watch.pageErrors).toEqual([]);
      expect(watch.outside).toEqual([]);
      expect(watch.csp).toEqual([]);
    } finally {
      await close();
    }
  }, 180_000);
});
