/** Checker tests (SPEC.md §6) against a real test site, and the scrapers they run on from a real database. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { judgeCheckerTest, testCheckers, type TestedScraper } from "../../src/check/checker-test.ts";
import { findScraper, scrapersWithCheckers } from "../../src/db/definitions.ts";
import type { CheckOutcome } from "../../src/check/outcome.ts";
import { AbortedError } from "../../src/fetch/errors.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { NotFoundError } from "../../src/errors.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import { checkerSchema } from "../../src/model/checker.ts";
import { pageTypeSchema } from "../../src/model/page-type.ts";
import { store, TEST_FETCH } from "../support/crawl.ts";
import { html, startSite } from "../support/site.ts";
import { tempDatabase } from "../support/temp.ts";

const site = startSite({
  "/gone": { status: 404, body: html("<p>no such page</p>") },
  "/gone-410": { status: 410, body: html("<p>gone</p>") },
  "/alive": html(`<div class="msg">Still for sale</div>`),
  "/deleted": html(`<div class="msg"> This offer was deleted </div>`),
  "/broken": { status: 500, body: "oops" },
  "/json-deleted": { body: JSON.stringify({ state: "deleted" }), type: "application/json" },
  "/pdf": { body: "%PDF-1.4", type: "application/pdf" },
  // Answers like a deleted item only to a client sending the detail page type's cookie and header.
  "/members-only": (request) =>
    request.headers.get("cookie") === "session=abc; lang=en" && request.headers.get("x-api-key") === "k1"
      ? new Response("gone", { status: 404 })
      : new Response(html("<p>please log in</p>"), { headers: { "content-type": "text/html" } }),
});
const closed = startSite({});
const closedUrl = closed.url;
await closed.close();
afterAll(() => site.close());

const fetcher = new Fetcher({ ...TEST_FETCH, attempts: 2 });

function scraper(checkers: Record<string, unknown>[], pageTypes: Record<string, unknown>[] = [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }]): TestedScraper {
  return { name: "offers", body: { page_types: pageTypes.map((p) => pageTypeSchema.parse(p)), checkers: checkers.map((c) => checkerSchema.parse(c)) } };
}

describe("testCheckers: a table of ref URL answers", () => {
  const cases: [string, Record<string, unknown>, string, "OK" | "WARNING" | "ERROR", RegExp][] = [
    ["404 type, 404 answer", { checker_type: "404" }, "/gone", "OK", /^HTTP 404: the checker would delete/],
    ["404 type, 200 answer", { checker_type: "404" }, "/alive", "WARNING", /^HTTP 200, not 404: the checker would keep/],
    ["404 type, 410 answer", { checker_type: "404" }, "/gone-410", "WARNING", /^HTTP 410, not 404/],
    ["404 type, 500 answer", { checker_type: "404" }, "/broken", "ERROR", /^could not be fetched: HTTP 500$/],
    ["XPath type, match, no expected result", { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='msg']/text()" }, "/deleted", "OK", /^checker XPath matched: the checker would delete/],
    [
      "XPath type, match with the expected result (trimmed)",
      { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='msg']/text()", checker_x_path_result: "This offer was deleted" },
      "/deleted",
      "OK",
      /^checker XPath matched "This offer was deleted"/,
    ],
    [
      "XPath type, match with another value",
      { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='msg']/text()", checker_x_path_result: "This offer was deleted" },
      "/alive",
      "ERROR",
      /^checker XPath gave "Still for sale", not "This offer was deleted": the checker would keep/,
    ],
    ["XPath type, no match", { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='sold-out']" }, "/alive", "ERROR", /^HTTP 200, checker XPath did not match/],
    ["XPath type, 404 answer", { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='msg']" }, "/gone", "WARNING", /^HTTP 404: the checker XPath could not be tried/],
    ["XPath type, 410 answer (XPath not tried)", { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='msg']" }, "/gone-410", "ERROR", /^HTTP 410: the checker would keep/],
    ["XPath type, 500 answer", { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='msg']" }, "/broken", "ERROR", /^could not be fetched: HTTP 500$/],
    ["XPath type, a page of another content type", { checker_type: "404_OR_X_PATH", checker_x_path: "//div" }, "/pdf", "ERROR", /^page could not be read: content type application\/pdf/],
  ];
  test.each(cases.map(([name, ...rest]) => [`${name} → ${rest[2]}`, ...rest] as const))("%s", async (_, checker, path, result, detail) => {
    const [report] = await testCheckers(scraper([{ attr: "url", checker_ref_url: `${site.url}${path}`, ...checker }]), fetcher);
    expect(report!.result).toBe(result);
    expect(report!.detail).toMatch(detail);
    expect(report).toMatchObject({ scraper: "offers", attr: "url", checker_type: checker.checker_type, ref_url: `${site.url}${path}` });
  });

  test("a host that does not answer → ERROR 'could not be fetched'", async () => {
    const [report] = await testCheckers(scraper([{ attr: "url", checker_ref_url: `${closedUrl}/x` }]), fetcher);
    expect(report!.result).toBe("ERROR");
    expect(report!.detail).toStartWith(`could not be fetched: ${closedUrl}/x: network error after 2 attempts`);
  });

  test("a checker without checker_ref_url → WARNING, nothing requested, the other checkers still tested", async () => {
    const before = site.hits.length;
    const reports = await testCheckers(scraper([{ attr: "url" }, { attr: "url", checker_ref_url: `${site.url}/gone` }]), fetcher);
    expect(reports.map((r) => [r.result, r.detail, r.ref_url])).toEqual([
      ["WARNING", "no checker_ref_url to test against", ""],
      ["OK", "HTTP 404: the checker would delete an item answering like this", `${site.url}/gone`],
    ]);
    expect(site.hits.length).toBe(before + 1);
  });

  test("JSON detail pages: the checker path is a JSONPath, read as the DP page type's content type says", async () => {
    const s = scraper(
      [{ attr: "url", checker_type: "404_OR_X_PATH", checker_x_path: "$.state", checker_x_path_result: "deleted", checker_ref_url: `${site.url}/json-deleted` }],
      [{ page_type: "MP" }, { page_type: "DP1", attr: "url", content_type: "JSON" }],
    );
    expect((await testCheckers(s, fetcher))[0]!.result).toBe("OK");
  });
});

describe("testCheckers: the request", () => {
  const checker = { attr: "url", checker_type: "404", checker_ref_url: `${site.url}/members-only` };

  test("sends the headers and cookies of the detail page type tied to the checker's attr", async () => {
    const s = scraper([checker], [{ page_type: "MP", headers: { "X-Api-Key": "wrong" } }, { page_type: "DP1", attr: "url", headers: { "X-Api-Key": "k1" }, cookies: { session: "abc", lang: "en" } }]);
    const [report] = await testCheckers(s, fetcher);
    expect(report!.result).toBe("OK");
    const hit = site.hits.findLast((h) => h.path === "/members-only")!;
    expect(hit.headers.get("x-api-key")).toBe("k1");
    expect(hit.headers.get("cookie")).toBe("session=abc; lang=en");
  });

  test("without a detail page type for the attr: a plain GET (here the site then does not answer 404)", async () => {
    const [report] = await testCheckers(scraper([checker], [{ page_type: "MP" }]), fetcher);
    expect(report!.result).toBe("WARNING");
    const hit = site.hits.findLast((h) => h.path === "/members-only")!;
    expect([hit.method, hit.headers.get("cookie")]).toEqual(["GET", null]);
  });

  test("a detail page type the crawl cannot honour (render_javascript) → ERROR, not silently ignored", async () => {
    const [report] = await testCheckers(scraper([checker], [{ page_type: "MP" }, { page_type: "DP1", attr: "url", render_javascript: true }]), fetcher);
    expect(report).toMatchObject({ result: "ERROR", detail: "DP1: render_javascript is not supported (no JavaScript renderer is configured)" });
  });

  test("cancellation rejects instead of reporting an ERROR", async () => {
    const controller = new AbortController();
    controller.abort(new Error("interrupted"));
    await expect(testCheckers(scraper([checker]), fetcher, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });
});

describe("judgeCheckerTest", () => {
  const cases: [string, "404" | "404_OR_X_PATH", CheckOutcome["kind"], string, "OK" | "WARNING" | "ERROR"][] = [
    ["404 / not_found", "404", "not_found", "HTTP 404", "OK"],
    ["404 / alive", "404", "alive", "HTTP 200", "WARNING"],
    ["404 / unknown (5xx)", "404", "unknown", "HTTP 503", "ERROR"],
    ["X / gone", "404_OR_X_PATH", "gone", "checker XPath matched", "OK"],
    ["X / not_found", "404_OR_X_PATH", "not_found", "HTTP 404", "WARNING"],
    ["X / alive", "404_OR_X_PATH", "alive", "HTTP 200, checker XPath did not match", "ERROR"],
    ["X / unknown (unreadable page)", "404_OR_X_PATH", "unknown", "page could not be read: bad JSON", "ERROR"],
  ];
  test.each(cases.map(([name, ...rest]) => [`${name} → ${rest[3]}`, ...rest] as const))("%s", (_, type, kind, detail, result) => {
    expect(judgeCheckerTest(type, { kind, detail }).result).toBe(result);
  });
});

describe("the scrapers to test", () => {
  let database: Awaited<ReturnType<typeof tempDatabase>>;
  const attrs = [
    { name: "base", attr_type: "B" },
    { name: "title", attr_type: "S", id_field: true },
    { name: "url", attr_type: "U" },
  ] as const;
  type ScraperInput = NonNullable<BundleInput["scrapers"]>[number];
  const def = (name: string, status: ScraperInput["status"], checkers: ScraperInput["checkers"]): ScraperInput => ({
    name,
    class: "Offer",
    status,
    page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }],
    elems: [
      { attr: "base", x_path: "//li" },
      { attr: "title", x_path: "text()" },
      { attr: "url", x_path: "a/@href" },
    ],
    checkers,
  });
  beforeAll(async () => {
    database = await tempDatabase();
    await store(database, {
    classes: [{ name: "Offer", attrs: [...attrs] }],
    scrapers: [
      def("active-with", "ACTIVE", [{ attr: "url", checker_ref_url: `${site.url}/gone` }]),
      def("manual-with", "MANUAL", [{ attr: "url" }, { attr: "url", checker_type: "404_OR_X_PATH", checker_x_path: "//p" }]),
      def("active-without", "ACTIVE", []),
      def("paused-with", "PAUSED", [{ attr: "url" }]),
      ],
      sources: [],
    });
  });

  test("every scraper with checkers, by id; --only-active keeps the ACTIVE ones", async () => {
    expect((await scrapersWithCheckers(database, { onlyActive: false })).map((s) => s.name)).toEqual(["active-with", "manual-with", "paused-with"]);
    expect((await scrapersWithCheckers(database, { onlyActive: true })).map((s) => s.name)).toEqual(["active-with"]);
  });

  test("a scraper by id or name; an unknown one is a NotFoundError", async () => {
    const byName = await findScraper(database, "manual-with");
    expect(byName).toMatchObject({ name: "manual-with", status: "MANUAL" });
    expect(byName.body.checkers).toHaveLength(2);
    expect((await findScraper(database, String(byName.id))).name).toBe("manual-with");
    await expect(findScraper(database, "nope")).rejects.toThrow(new NotFoundError('no scraper named "nope"'));
    await expect(findScraper(database, "99")).rejects.toThrow(new NotFoundError("no scraper with id 99"));
  });
});
