/**
 * "Try it" against a real site on 127.0.0.1: the items a crawl would read (detail pages included), what each elem
 * matched on the main and detail pages, and the problems said in words — HTTP 404, a base that selects nothing,
 * a connection refused, a mandatory value missing. Nothing is stored (no database at all).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { tryScraper } from "../../src/crawl/try-scraper.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { scrapedClassBodySchema } from "../../src/model/scraped-class.ts";
import { scraperBodySchema } from "../../src/model/scraper.ts";
import { TEST_FETCH } from "../support/crawl.ts";
import { html, startSite } from "../support/site.ts";

const site = startSite({
  "/list": html(
    ["<div class='q'><h2>One</h2><a href='/d/1'>x</a></div>", "<div class='q'><h2>Two</h2><a href='/d/2'>x</a></div>", "<div class='q'><a href='/d/3'>x</a></div>", "<a class='next' href='/list?p=2'>next</a>"].join(""),
  ),
  "/d/1": html("<p class='born'>1900</p>"),
  "/d/2": html("<p class='born'>1920</p>"),
  "/d/3": html("<p>nothing</p>"),
  "/empty": html("<p>no quotes here</p>"),
});
afterAll(() => site.close());

const deps = { fetcher: new Fetcher(TEST_FETCH), env: { timeZone: "UTC", now: () => new Date() } };
const cls = scrapedClassBodySchema.parse({
  attrs: [
    { name: "base", attr_type: "B" },
    { name: "title", attr_type: "S" },
    { name: "url", attr_type: "U" },
    { name: "born", attr_type: "S" },
  ],
});
const scraper = scraperBodySchema.parse({
  follow_pages_url_xpath: "//a[@class='next']/@href",
  pagination_type: "FOLLOW",
  page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }],
  elems: [
    { attr: "base", x_path: "//div[@class='q']" },
    { attr: "title", x_path: "h2/text()" },
    { attr: "url", x_path: "a/@href" },
    { attr: "born", x_path: "//p[@class='born']/text()", page_type: "DP1" },
  ],
});
const signal = new AbortController().signal;

describe("tryScraper", () => {
  test("items with their detail values, per-elem matches on the main and the first detail page, the next link; nothing more fetched", async () => {
    const result = await tryScraper(deps, cls, scraper, `${site.url}/list`, signal);
    expect(result.problem).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.itemCount).toBe(3);
    expect(result.items.map((i) => [i.values.title, i.values.born, i.dropped])).toEqual([
      ["One", "1900", undefined],
      ["Two", "1920", undefined],
      [undefined, undefined, "mandatory attrs title, born have no value"],
    ]);
    expect(result.elems.map((m) => [m.elem, m.pageType, m.matched, m.of, m.problem])).toEqual([
      [0, "MP", 3, 1, undefined],
      [1, "MP", 2, 3, undefined],
      [2, "MP", 3, 3, undefined],
      [3, "DP1", 1, 1, undefined],
    ]);
    expect(result.followLinks).toEqual([`${site.url}/list?p=2`]);
    expect(site.count("/list?p=2")).toBe(0);
  });

  test("a 404 and a base that selects nothing are said in words", async () => {
    const missing = await tryScraper(deps, cls, scraper, `${site.url}/gone`, signal);
    expect(missing.status).toBe(404);
    expect(missing.problem).toBe("the main page answered HTTP 404");
    const empty = await tryScraper(deps, cls, scraper, `${site.url}/empty`, signal);
    expect(empty.problem).toBe("the base XPath //div[@class='q'] selects nothing on the main page: no items");
    expect(empty.elems[0]).toMatchObject({ base: true, matched: 0, problem: "selects no node on this page, so the page gives no items" });
  });

  test("a server that does not answer is a problem, not a throw", async () => {
    const result = await tryScraper(deps, cls, scraper, "http://127.0.0.1:9/list", signal);
    expect(result.status).toBeUndefined();
    expect(result.problem).toContain("127.0.0.1:9");
  });
});
