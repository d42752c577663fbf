/**
 * The admin page in a real browser (Chromium through playwright-core), against the binary's app on a real
 * Bun.serve with a real job queue: sign in; a class and a scraper made through the forms for a fixture shop; a bad
 * XPath shown next to its field, then fixed; "try it"; save; a source; crawl now, followed live until it ends; the
 * items with their thumbnails; delete one. The shop's content carries script injections (a `<script>` title,
 * `onerror=` in broken markup, a `javascript:` link): nothing may run — no dialog, no request to the attacker's
 * server, no page error — and the editor and items pages are saved as screenshots that are not blank.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startApi, TEST_TOKEN, type ApiServer } from "../support/api.ts";
import { launchBrowser, newPage, screenshot } from "../support/browser.ts";
import { html, startSite } from "../support/site.ts";
import { gradient, jpeg, pixels } from "../images/encoders.ts";

const attacker = startSite({});
const EVIL = attacker.url;
const PRODUCTS = [
  { title: "&lt;script&gt;alert('title')&lt;/script&gt; Kettle", href: "/p/1", img: "/img/1.jpg", desc: `<b>broken <i>markup <img src="${EVIL}/desc.png" onerror="alert('desc')">` },
  { title: `Lamp "&gt;&lt;img src=${EVIL}/title.png onerror=alert('t2')&gt;`, href: "javascript:alert('href')", img: "/img/2.jpg", desc: "plain" },
  { title: "Chair", href: "/p/3", img: "/img/3.jpg", desc: `<a href="javascript:alert('a')">click</a>` },
];
const site = startSite({
  "/products/": html(
    PRODUCTS.map((p) => `<div class="product"><h2>${p.title}</h2><a class="more" href="${p.href}">more</a><img src="${p.img}"><p class="desc">${p.desc}</p></div>`).join("\n"),
  ),
  "/img/1.jpg": { body: jpeg(120, 90, pixels(120, 90, gradient(120, 90))), type: "image/jpeg" },
  "/img/2.jpg": { body: jpeg(90, 120, pixels(90, 120, (x, y) => [x * 2, 255 - y, 90, 255])), type: "image/jpeg" },
  "/img/3.jpg": { body: jpeg(100, 100, pixels(100, 100, (x, y) => [(x * y) % 255, 40, 200, 255])), type: "image/jpeg" },
});

let api: ApiServer;
let browser: Browser;
beforeAll(async () => {
  api = await startApi({ images: {} });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await site.close();
  await attacker.close();
});

const field = (page: Page, name: string) => page.locator(`[name="${name}"]:not([type=hidden])`);

/** Sends a form and waits for the page it leads to; a form shown again with problems fails with them. */
async function submit(page: Page, button: string, to: RegExp): Promise<void> {
  await Promise.all([page.waitForEvent("load"), page.click(button)]);
  if (!to.test(page.url())) throw new Error(`after ${button}: ${page.url()}\n${(await page.locator("main").textContent())?.slice(0, 2000)}`);
}

/** The admin's own "Add row" button, then the new row's index. */
async function addRow(page: Page, table: string): Promise<number> {
  const before = await page.locator(`table[data-rows="${table}"] tbody tr[data-row]`).count();
  await page.click(`[data-add-row="${table}"]`);
  await page.waitForFunction(([t, n]) => document.querySelectorAll(`table[data-rows="${t}"] tbody tr[data-row]`).length > Number(n), [table, before] as const);
  return Number(await page.locator(`table[data-rows="${table}"] tbody tr[data-row]`).last().getAttribute("data-row"));
}

describe("the admin page in Chromium", () => {
  test("sign in, define a scraper through the forms, try it, crawl, watch the job, see the items with thumbnails, delete one; nothing scraped runs", async () => {
    const { page, watch, close } = await newPage(browser);
    try {
      // Sign in: a wrong token is refused next to the field; the right one leads to the page asked for.
      await page.goto(`${api.url}/admin/classes`);
      expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
      await page.fill("#f-token", "not-the-token");
      await page.click("button:has-text('Sign in')");
      await expect(page.locator(".errors").textContent()).resolves.toContain("That is not the API token.");
      await page.fill("#f-token", TEST_TOKEN);
      await page.click("button:has-text('Sign in')");
      await page.waitForURL(`${api.url}/admin/classes`);
      const [cookie] = await page.context().cookies();
      expect(cookie).toMatchObject({ name: "dscraper_session", httpOnly: true, sameSite: "Strict", secure: false });

      // A class with five attrs: the first row comes filled (base), the others through "Add attr".
      await page.click("a:has-text('New class')");
      await page.fill('[name="name"]', "Product");
      const attrs: [string, string][] = [
        ["title", "S"],
        ["url", "U"],
        ["description", "S"],
        ["image", "I"],
      ];
      for (const [i, [name, type]] of attrs.entries()) {
        const row = i === 0 ? 1 : await addRow(page, "attrs");
        await field(page, `attrs[${row}].name`).fill(name);
        await field(page, `attrs[${row}].attr_type`).selectOption(type);
        if (name === "title") await field(page, `attrs[${row}].id_field`).check();
      }
      await submit(page, "button:has-text('Save class')", /\/admin\/classes\/\d+\?done=created$/);
      await expect(page.locator(".banner.ok").textContent()).resolves.toBe("Created.");

      // A scraper with a bad XPath: the error is shown under that very field.
      await page.goto(`${api.url}/admin/scrapers/new`);
      await page.fill('[name="name"]', "products");
      await field(page, "class").selectOption("Product");
      await field(page, "status").selectOption("ACTIVE");
      const elems: [string, string][] = [
        ["base", "//div[@class='product']"],
        ["title", "h2/text("],
        ["url", "a[@class='more']/@href"],
        ["description", "p[@class='desc']"],
        ["image", "img/@src"],
      ];
      for (const [i, [attr, xpath]] of elems.entries()) {
        const row = i === 0 ? 0 : await addRow(page, "elems");
        await field(page, `elems[${row}].attr`).selectOption(attr);
        await field(page, `elems[${row}].x_path`).fill(xpath);
        if (attr === "description") await field(page, `elems[${row}].mandatory`).uncheck();
      }
      await page.click("button[value=save]");
      await page.waitForSelector(".banner.error");
      const titleXPath = field(page, "elems[1].x_path");
      await expect(titleXPath.getAttribute("aria-invalid")).resolves.toBe("true");
      const nextToIt = page.locator("td.xpath:has([name='elems[1].x_path']) .errors");
      await expect(nextToIt.textContent()).resolves.toMatch(/XPath/i);
      await expect(page.locator(".banner.error").textContent()).resolves.toContain("elems[1].x_path");
      await expect(page.locator("td.xpath .errors").count()).resolves.toBe(1);

      // Fixed, then tried on the shop before saving: the items it would read, and what each XPath matched.
      await titleXPath.fill("h2/text()");
      await page.fill('[name="_try_url"]', `${site.url}/products/`);
      await page.click("#try-it");
      await page.waitForSelector("#try-result");
      await expect(page.locator("#try-result table tbody tr").count()).resolves.toBe(3);
      await expect(page.locator(".matches[data-elem='0']").textContent()).resolves.toContain("selects 3 nodes");
      await expect(page.locator(".matches[data-elem='1']").textContent()).resolves.toContain("matched in 3 of 3");
      await expect(page.locator("#try-result").textContent()).resolves.toContain("<script>alert('title')</script> Kettle");
      expect(await page.locator(".banner.error").count()).toBe(0);
      const editorShot = await screenshot(page, "scraper-editor.png");
      expect(editorShot.colours).toBeGreaterThan(50);

      await submit(page, "button[value=save]", /\/admin\/scrapers\/\d+\?done=created$/);
      await expect(field(page, "elems[1].x_path").inputValue()).resolves.toBe("h2/text()");

      // A source, and "crawl now": the job page follows the job until it has ended.
      await page.goto(`${api.url}/admin/sources/new`);
      await page.fill('[name="name"]', "shop");
      await field(page, "scraper").selectOption("products");
      await page.fill('[name="url"]', `${site.url}/products/`);
      await submit(page, "button:has-text('Save source')", /\/admin\/sources\/\d+\?done=created$/);
      await page.click("button:has-text('Crawl now')");
      await page.waitForURL(/\/admin\/jobs\/\d+$/);
      await page.waitForFunction(() => document.querySelector("#job-live")?.getAttribute("data-status") === "succeeded", undefined, { timeout: 120_000 });
      // The whole panel in the message, should it say something else (dropped items, errors).
      expect(await page.locator("#job-live").textContent()).toContain("saved 3, updated 0");

      // The items, each with its thumbnail loaded from the image store; scraped text shown as text.
      await page.goto(`${api.url}/admin/items`);
      await expect(page.locator("tr[data-item]").count()).resolves.toBe(3);
      await page.waitForFunction(() => {
        const imgs = [...document.querySelectorAll<HTMLImageElement>("img.thumb")];
        return imgs.length === 3 && imgs.every((img) => img.complete && img.naturalWidth > 0);
      });
      await expect(page.getByText("<script>alert('title')</script> Kettle").count()).resolves.toBe(1);
      await expect(page.locator("a[href^='javascript:']").count()).resolves.toBe(0);
      await expect(page.locator(".unsafe", { hasText: "javascript:alert('href')" }).count()).resolves.toBe(1);
      const itemsShot = await screenshot(page, "items.png");
      expect(itemsShot.colours).toBeGreaterThan(50);

      // Delete one (the page asks first).
      await page.locator("tr[data-item]").first().locator("button:has-text('Delete')").click();
      await page.waitForURL(/done=deleted/);
      await expect(page.locator("tr[data-item]").count()).resolves.toBe(2);
      expect(watch.confirms).toEqual(["Delete this item and its images?"]);

      // On a phone the page does not scroll sideways: wide tables scroll inside their boxes.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      const phone = await screenshot(page, "items-phone.png");
      expect(phone.colours).toBeGreaterThan(50);

      expect(watch.dialogs).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.outside).toEqual([]);
      expect(watch.csp).toEqual([]);
      expect(attacker.hits.map((h) => h.path)).toEqual([]);
    } finally {
      await close();
    }
  }, 300_000);

  test("without JavaScript the forms still work: a class grows one attr row per save", async () => {
    const { page, watch, close } = await newPage(browser, { javaScript: false });
    try {
      await page.goto(`${api.url}/admin/sign-in`);
      await page.fill("#f-token", TEST_TOKEN);
      await submit(page, "button:has-text('Sign in')", /\/admin$/);
      await page.goto(`${api.url}/admin/classes/new`);
      await expect(page.locator("[data-add-row]").isVisible()).resolves.toBe(false);
      await page.fill('[name="name"]', "NoScript");
      await field(page, "attrs[1].name").fill("title");
      await field(page, "attrs[1].attr_type").selectOption("S");
      await submit(page, "button:has-text('Save class')", /\/admin\/classes\/\d+\?done=created$/);
      await field(page, "attrs[2].name").fill("link");
      await field(page, "attrs[2].attr_type").selectOption("U");
      await field(page, "attrs[0].name").fill("item");
      await submit(page, "button:has-text('Save class')", /\/admin\/classes\/\d+\?done=saved$/);
      await expect(page.locator("table[data-rows=attrs] tbody tr:not(.blank)").count()).resolves.toBe(3);
      // A row ticked "remove" goes on save.
      await field(page, "attrs[2]._remove").check();
      await submit(page, "button:has-text('Save class')", /done=saved$/);
      await expect(page.locator("table[data-rows=attrs] tbody tr:not(.blank)").count()).resolves.toBe(2);
      expect(watch.dialogs).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);
});
