import { describe, expect, test } from "bun:test";
import { joinUrl, planMainPages } from "../../src/crawl/planner.ts";
import { ValidationError } from "../../src/errors.ts";

type Pagination = Parameters<typeof planMainPages>[0];
const scraper = (p: Partial<Pagination>): Pagination => ({
  pagination_type: "NONE",
  pagination_on_start: false,
  pagination_append_str: "",
  pagination_page_replace: "",
  ...p,
});
const BASE = "http://x.org/articles";

describe("planMainPages", () => {
  const cases: [string, Partial<Pagination>, Record<string, string | number>, string[]][] = [
    ["NONE: the start URL", {}, {}, [BASE]],
    ["FOLLOW: the start URL (the rest is followed)", { pagination_type: "FOLLOW" }, {}, [BASE]],
    [
      "RANGE_FUNCT 0, 40, 10 with /{page}: bare URL first (DDS example)",
      { pagination_type: "RANGE_FUNCT", pagination_append_str: "/{page}", pagination_page_replace: "0, 40, 10" },
      {},
      [BASE, `${BASE}/0`, `${BASE}/10`, `${BASE}/20`, `${BASE}/30`],
    ],
    ["RANGE_FUNCT with one argument is range(stop)", { pagination_type: "RANGE_FUNCT", pagination_append_str: "/{page}", pagination_page_replace: "3", pagination_on_start: true }, {}, [`${BASE}/0`, `${BASE}/1`, `${BASE}/2`]],
    ["RANGE_FUNCT counting down", { pagination_type: "RANGE_FUNCT", pagination_append_str: "/p{page}", pagination_page_replace: "3, 0, -1", pagination_on_start: true }, {}, [`${BASE}/p3`, `${BASE}/p2`, `${BASE}/p1`]],
    ["RANGE_FUNCT as a JSON array", { pagination_type: "RANGE_FUNCT", pagination_append_str: "/{page}", pagination_page_replace: [1, 3], pagination_on_start: true }, {}, [`${BASE}/1`, `${BASE}/2`]],
    ["FREE_LIST in DDS syntax", { pagination_type: "FREE_LIST", pagination_append_str: "/{page}", pagination_page_replace: "'a-d', 'e-h'", pagination_on_start: true }, {}, [`${BASE}/a-d`, `${BASE}/e-h`]],
    // DDS appends as it is: no "/" is inserted (its event example: …/event_main + {page}.html).
    ["the append string is appended as it is", { pagination_type: "RANGE_FUNCT", pagination_append_str: "{page}.html", pagination_page_replace: "1, 3", pagination_on_start: true }, {}, [`${BASE}1.html`, `${BASE}2.html`]],
    ["an empty append string: every page is the start URL ({page} used elsewhere, e.g. in POST form data)", { pagination_type: "FREE_LIST", pagination_append_str: "", pagination_page_replace: "'a', 'b'", pagination_on_start: true }, {}, [BASE, BASE]],
    ["an append string without {page}", { pagination_type: "RANGE_FUNCT", pagination_append_str: "?all", pagination_page_replace: "2", pagination_on_start: true }, {}, [`${BASE}?all`, `${BASE}?all`]],
    ["a query append string is not joined with /", { pagination_type: "FREE_LIST", pagination_append_str: "?page={page}", pagination_page_replace: ["2"], pagination_on_start: true }, {}, [`${BASE}?page=2`]],
    ["start_page/end_page pick a window by value, inclusive", { pagination_type: "RANGE_FUNCT", pagination_append_str: "/{page}", pagination_page_replace: "0, 50, 10" }, { start_page: 10, end_page: "30" }, [`${BASE}/10`, `${BASE}/20`, `${BASE}/30`]],
    ["start_page alone runs to the end (and skips the bare URL)", { pagination_type: "FREE_LIST", pagination_append_str: "/{page}", pagination_page_replace: "'a', 'b', 'c'" }, { start_page: "b" }, [`${BASE}/b`, `${BASE}/c`]],
    ["'../{page}/' steps up from the start page", { pagination_type: "RANGE_FUNCT", pagination_append_str: "../{page}/", pagination_page_replace: "2, 4" }, {}, ["http://x.org/q/page/1/", "http://x.org/q/page/2/", "http://x.org/q/page/3/"]],
  ];
  test.each(cases)("%s", (_name, pagination, options, urls) => {
    const start = urls[0]!.startsWith("http://x.org/q/") ? "http://x.org/q/page/1/" : BASE;
    expect(planMainPages(scraper(pagination), start, options).map((p) => p.url)).toEqual(urls);
  });

  test("generated pages carry their {page} value", () => {
    const pages = planMainPages(scraper({ pagination_type: "FREE_LIST", pagination_append_str: "?q={page}", pagination_page_replace: "'a b'", pagination_on_start: true }), BASE);
    expect(pages).toEqual([{ url: `${BASE}?q=a%20b`, page: "a b" }]);
  });

  const bad: [string, Partial<Pagination>, Record<string, string | number>, string, string][] = [
    ["start_page not in the list", { pagination_type: "RANGE_FUNCT", pagination_append_str: "/{page}", pagination_page_replace: "0, 30, 10" }, { start_page: 5 }, "start_page", "5 is not one of the generated pages (0, 10, 20)"],
    ["end_page before start_page", { pagination_type: "RANGE_FUNCT", pagination_append_str: "{page}", pagination_page_replace: "0, 30, 10" }, { start_page: 20, end_page: 10 }, "end_page", "10 comes before start_page 20"],
    ["a page window on FOLLOW", { pagination_type: "FOLLOW" }, { end_page: 3 }, "end_page", "only applies to RANGE_FUNCT and FREE_LIST pagination, not FOLLOW"],
  ];
  test.each(bad)("%s is refused", (_name, pagination, options, path, message) => {
    let error: unknown;
    try {
      planMainPages(scraper(pagination), BASE, options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path, message }]);
  });
});

describe("joinUrl", () => {
  const cases: [string, string, string][] = [
    ["http://x.org/a", "b", "http://x.org/ab"],
    ["http://x.org/event_main", "1.html", "http://x.org/event_main1.html"],
    ["http://x.org/a", "/b", "http://x.org/a/b"],
    ["http://x.org/a/", "b", "http://x.org/a/b"],
    ["http://x.org/a/", "/b", "http://x.org/a/b"],
    ["http://x.org/", "/articles/0", "http://x.org/articles/0"],
    ["http://x.org/a", "?p=1", "http://x.org/a?p=1"],
    ["http://x.org/a?x=1", "&p=1", "http://x.org/a?x=1&p=1"],
    ["http://x.org/a/b/", "../c/", "http://x.org/a/c/"],
    ["http://x.org/a", "", "http://x.org/a"],
  ];
  test.each(cases)("%s + %s", (base, append, expected) => {
    expect(joinUrl(base, append)).toBe(expected);
  });
});
