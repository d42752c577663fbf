/**
 * What each elem matches on one page ("try it"), by a table of pages and scrapers: counts, samples, values after
 * reg_exp and processors, and the problems said in words.
 */
import { describe, expect, test } from "bun:test";
import { parsePage } from "../../src/extract/document.ts";
import { elemMatches, MAX_SAMPLE_CHARS } from "../../src/extract/elem-matches.ts";
import { scrapedClassBodySchema } from "../../src/model/scraped-class.ts";
import { scraperBodySchema } from "../../src/model/scraper.ts";

const env = { timeZone: "UTC", now: () => new Date(Date.UTC(2025, 0, 1)) };
const cls = scrapedClassBodySchema.parse({
  attrs: [
    { name: "base", attr_type: "B" },
    { name: "title", attr_type: "S" },
    { name: "tags", attr_type: "S", many: true },
    { name: "url", attr_type: "U" },
    { name: "born", attr_type: "S" },
  ],
});

const PAGE = `<html><body>
<div class="q"><h2>One</h2><a href="/a/1">more</a><i>x</i><i>y</i><span>Price: 10 EUR</span></div>
<div class="q"><h2>Two</h2><a href="/a/2">more</a><span>Price: 20 EUR</span></div>
<div class="q"><a href="/a/3">more</a></div>
</body></html>`;
const page = (body: string, url = "http://127.0.0.1:9/list") => parsePage(new TextEncoder().encode(body), "text/html", "HTML", url);

type Row = { name: string; elems: Record<string, unknown>[]; pageType?: string; body?: string; expect: Record<string, unknown>[] };

const base = { attr: "base", x_path: "//div[@class='q']" };
const rows: Row[] = [
  {
    name: "the base counts its nodes; an elem matched in 2 of 3, its value from the first",
    elems: [base, { attr: "title", x_path: "h2/text()" }],
    expect: [
      { elem: 0, attr: "base", matched: 3, of: 1, total: 3 },
      { elem: 1, attr: "title", matched: 2, of: 3, samples: ["One"], total: 1, value: "One" },
    ],
  },
  {
    name: "a many attr keeps every string; a U attr's value is made absolute",
    elems: [base, { attr: "tags", x_path: "i/text()" }, { attr: "url", x_path: "a/@href" }],
    expect: [{ attr: "base" }, { attr: "tags", matched: 1, samples: ["x", "y"], total: 2, value: ["x", "y"] }, { attr: "url", matched: 3, value: "http://127.0.0.1:9/a/1" }],
  },
  {
    name: "reg_exp and processors apply",
    elems: [base, { attr: "title", x_path: "span/text()", reg_exp: "(\\d+) EUR", processors: ["pre_string"], proc_ctxt: { pre_string: "€" } }],
    expect: [{ attr: "base" }, { attr: "title", matched: 2, samples: ["Price: 10 EUR"], value: "€10" }],
  },
  {
    name: "a reg_exp that keeps nothing is named",
    elems: [base, { attr: "title", x_path: "h2/text()", reg_exp: "\\d+" }],
    expect: [{ attr: "base" }, { attr: "title", matched: 2, problem: "its reg_exp keeps nothing of what the path selects" }],
  },
  {
    name: "an elem that selects nothing is named with the nodes looked at",
    elems: [base, { attr: "title", x_path: "h3/text()" }],
    expect: [{ attr: "base" }, { attr: "title", matched: 0, of: 3, problem: "selects nothing in the first 3 base nodes" }],
  },
  {
    name: "a base that selects nothing: no items, the others not tried",
    elems: [{ attr: "base", x_path: "//article" }, { attr: "title", x_path: "h2/text()" }],
    expect: [
      { attr: "base", matched: 0, problem: "selects no node on this page, so the page gives no items" },
      { attr: "title", matched: 0, of: 0, problem: "not tried: the base selects no node" },
    ],
  },
  {
    name: "the static processor gives a value without a path",
    elems: [base, { attr: "title", x_path: "", processors: ["static"], proc_ctxt: { static: "fixed" } }],
    expect: [{ attr: "base" }, { attr: "title", matched: 3, value: "fixed" }],
  },
  {
    name: "detail page elems are read on the whole page; main page elems are left out",
    pageType: "DP1",
    body: "<html><body><p class='born'>1879</p></body></html>",
    elems: [base, { attr: "title", x_path: "h2/text()" }, { attr: "url", x_path: "a/@href" }, { attr: "born", x_path: "//p[@class='born']/text()", page_type: "DP1" }],
    expect: [{ elem: 3, attr: "born", pageType: "DP1", matched: 1, of: 1, value: "1879" }],
  },
  {
    name: "a detail elem that selects nothing",
    pageType: "DP1",
    body: "<html><body></body></html>",
    elems: [base, { attr: "url", x_path: "a/@href" }, { attr: "born", x_path: "//p/text()", page_type: "DP1" }],
    expect: [{ attr: "born", matched: 0, problem: "selects nothing on this page" }],
  },
];

describe("elemMatches", () => {
  test.each(rows)("$name", (row) => {
    const scraper = scraperBodySchema.parse({ page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }], elems: row.elems });
    const found = elemMatches(cls, scraper, page(row.body ?? PAGE), row.pageType ?? "MP", env);
    expect(found.length).toBe(row.expect.length);
    row.expect.forEach((want, i) => expect(found[i]).toMatchObject(want));
    for (const m of found) if (m.problem === undefined && m.attr !== "base") expect(m.value).toBeDefined();
  });

  test("the base's samples describe each node by its start tag and text; long samples are cut", () => {
    const long = "w".repeat(MAX_SAMPLE_CHARS + 50);
    const scraper = scraperBodySchema.parse({ page_types: [{ page_type: "MP" }], elems: [base, { attr: "title", x_path: "h2/text()" }] });
    const found = elemMatches(cls, scraper, page(`<div class="q"><h2>${long}</h2></div>`), "MP", env);
    expect(found[0]!.samples[0]!.startsWith(`<div class="q"> ${"w".repeat(10)}`)).toBe(true);
    expect(found[1]!.samples[0]!.length).toBe(MAX_SAMPLE_CHARS + 1);
    expect(found[1]!.value).toBe(long);
  });

  test("JSON pages use JSONPath the same way", () => {
    const scraper = scraperBodySchema.parse({ page_types: [{ page_type: "MP", content_type: "JSON" }], elems: [{ attr: "base", x_path: "$.items[*]" }, { attr: "title", x_path: "$.t" }] });
    const json = parsePage(new TextEncoder().encode(JSON.stringify({ items: [{ t: "a" }, { t: "b" }, {}] })), "application/json", "JSON", "http://127.0.0.1:9/");
    const found = elemMatches(cls, scraper, json, "MP", env);
    expect(found.map((m) => [m.attr, m.matched, m.of, m.value])).toEqual([
      ["base", 3, 1, undefined],
      ["title", 2, 3, "a"],
    ]);
  });
});
