/**
 * HTML forms ↔ the definitions' schemas, by tables: how field text becomes values, which rows are kept, and which
 * field an error path belongs to.
 */
import { describe, expect, test } from "bun:test";
import { decodeForm, fieldOf, parsePath, splitList, type FormFields } from "../../src/api/admin/form-codec.ts";
import { safeHref } from "../../src/api/admin/security.ts";
import { scrapedClassSchema } from "../../src/model/scraped-class.ts";
import { scraperSchema } from "../../src/model/scraper.ts";
import { sourceSchema } from "../../src/model/source.ts";

describe("parsePath", () => {
  const rows: [string, (string | number)[] | undefined][] = [
    ["name", ["name"]],
    ["elems[3].x_path", ["elems", 3, "x_path"]],
    ["elems[3].proc_ctxt.static", ["elems", 3, "proc_ctxt", "static"]],
    ["scraper_scheduler_conf.MIN_TIME", ["scraper_scheduler_conf", "MIN_TIME"]],
    ["elems[x].a", undefined],
    ["", undefined],
  ];
  test.each(rows)("%s", (name, path) => expect(parsePath(name)).toEqual(path));
});

describe("fieldOf: the field an error belongs to", () => {
  const rows: [string, string][] = [
    ["elems[3].x_path", "elems[3].x_path"],
    ["elems[3].proc_ctxt.static", "elems[3].proc_ctxt"],
    ["elems[0].processors[1]", "elems[0].processors"],
    ["page_types[1].headers.X-A", "page_types[1].headers"],
    ["elems", "elems"],
    ["page_types", "page_types"],
    ["elems[2]", "elems[2]"],
    ["", ""],
  ];
  test.each(rows)("%s → %s", (path, field) => expect(fieldOf(scraperSchema, path)).toBe(field));
});

describe("decodeForm", () => {
  const rows: { name: string; schema: "scraper" | "class" | "source"; fields: FormFields; value: Record<string, unknown>; issues?: string[] }[] = [
    {
      name: "text, selects and numbers; empty optional numbers are null, empty defaults are left out",
      schema: "scraper",
      fields: { name: "s", class: "C", status: "ACTIVE", max_items_read: "", max_items_save: "12", pagination_append_str: "", num_pages_follow: "" },
      value: { name: "s", class: "C", status: "ACTIVE", max_items_read: null, max_items_save: 12, num_pages_follow: null },
    },
    {
      name: "a checkbox sends a hidden false first: unticked false, ticked true",
      schema: "scraper",
      fields: { follow_pages_all: ["false", "true"], pagination_on_start: "false" },
      value: { follow_pages_all: true, pagination_on_start: false },
    },
    {
      name: "rows are compacted in index order; a removed row and an untouched empty row are dropped",
      schema: "scraper",
      fields: {
        "elems[5].attr": "b",
        "elems[5].x_path": "//b",
        "elems[2].attr": "a",
        "elems[2].x_path": "//a",
        "elems[3].attr": "gone",
        "elems[3]._remove": ["false", "true"],
        "elems[9]._blank": "1",
        "elems[9].attr": "",
        "elems[9].processors": "",
        "elems[9].mandatory": ["false", "true"],
      },
      value: {
        elems: [
          { attr: "a", x_path: "//a" },
          { attr: "b", x_path: "//b" },
        ],
      },
    },
    {
      name: "an empty row that was filled in is kept",
      schema: "scraper",
      fields: { "elems[0]._blank": "1", "elems[0].attr": "t", "elems[0].x_path": "h2" },
      value: { elems: [{ attr: "t", x_path: "h2" }] },
    },
    {
      name: "lists: one per line, or comma-separated on a line without ://; records are JSON",
      schema: "scraper",
      fields: { "elems[0].processors": "pre_url, string_strip\njoin", "elems[0].proc_ctxt": '{"pre_url": "http://x/"}' },
      value: { elems: [{ processors: ["pre_url", "string_strip", "join"], proc_ctxt: { pre_url: "http://x/" } }] },
    },
    {
      name: "a bad number and bad JSON are named at their field",
      schema: "scraper",
      fields: { max_items_read: "ten", "page_types[0].headers": "{nope" },
      value: {},
      issues: ["max_items_read: must be a number", 'page_types[0].headers: must be a JSON object of names to texts, e.g. {"name": "value"}'],
    },
    {
      name: "page values: a JSON array or the text",
      schema: "scraper",
      fields: { pagination_page_replace: '["a", "b"]' },
      value: { pagination_page_replace: ["a", "b"] },
    },
    {
      name: "a scheduler group left all empty takes its default",
      schema: "class",
      fields: { name: "C", "scraper_scheduler_conf.MIN_TIME": "", "scraper_scheduler_conf.MAX_TIME": "", "checker_scheduler_conf.MIN_TIME": "5" },
      value: { name: "C", checker_scheduler_conf: { MIN_TIME: 5 } },
    },
    {
      name: "URLs one per line (commas stay inside a URL)",
      schema: "source",
      fields: { urls: "http://a/x,y\nhttp://b/\n\n", _csrf: "t" },
      value: { urls: ["http://a/x,y", "http://b/"] },
    },
  ];
  const schemas = { scraper: scraperSchema, class: scrapedClassSchema, source: sourceSchema };
  test.each(rows)("$name", (row) => {
    const decoded = decodeForm(schemas[row.schema], row.fields);
    expect(decoded.value).toEqual(row.value);
    expect(decoded.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(row.issues ?? []);
  });

  test("the decoded form of a valid scraper parses as the API's body would", () => {
    const fields: FormFields = {
      name: "q",
      class: "Quote",
      status: "ACTIVE",
      "page_types[0].page_type": "MP",
      "page_types[0].content_type": "",
      "elems[0].attr": "base",
      "elems[0].x_path": "//div",
      "elems[0].page_type": "MP",
      "elems[0].mandatory": ["false", "true"],
      "elems[1].attr": "text",
      "elems[1].x_path": "span/text()",
      "elems[1].mandatory": "false",
      "checkers[0]._blank": "1",
      "checkers[0].attr": "",
      "checkers[0].checker_type": "",
    };
    const parsed = scraperSchema.parse(decodeForm(scraperSchema, fields).value);
    expect(parsed.elems.map((e) => [e.attr, e.mandatory, e.page_type])).toEqual([
      ["base", true, "MP"],
      ["text", false, "MP"],
    ]);
    expect(parsed.page_types[0]!.content_type).toBe("HTML");
    expect(parsed.checkers).toEqual([]);
  });
});

describe("splitList and safeHref", () => {
  test.each([
    ["a, b,,c", ["a", "b", "c"]],
    ["http://x/?a=1,2", ["http://x/?a=1,2"]],
    ["", []],
  ] as const)("splitList(%j)", (text, list) => expect(splitList(text)).toEqual([...list]));

  test.each([
    ["http://127.0.0.1/a", "http://127.0.0.1/a"],
    ["https://example.org/", "https://example.org/"],
    ["javascript:alert(1)", undefined],
    [" JavaScript:alert(1)", undefined],
    ["data:text/html,<script>alert(1)</script>", undefined],
    ["vbscript:x", undefined],
    ["/relative", undefined],
    ["", undefined],
    [42, undefined],
  ] as const)("safeHref(%j)", (url, href) => expect(safeHref(url)).toBe(href));
});
