/**
 * The shape of a parsed bundle: documented defaults are filled in, keys come out in schema order (so exports
 * and round trips are stable), and the fixtures used by the import/export tests are what they claim to be.
 */
import { describe, expect, test } from "bun:test";
import type { z } from "zod";
import { attrSchema } from "../../src/model/attr.ts";
import { bundleSchema, parseBundle, type Bundle } from "../../src/model/bundle.ts";
import { checkerSchema } from "../../src/model/checker.ts";
import { elemSchema } from "../../src/model/elem.ts";
import { pageTypeSchema } from "../../src/model/page-type.ts";
import { scrapedClassSchema } from "../../src/model/scraped-class.ts";
import { CHECKER_SCHEDULER_DEFAULTS, SCRAPER_SCHEDULER_DEFAULTS, schedulerConfSchema } from "../../src/model/scheduler-conf.ts";
import { scraperSchema } from "../../src/model/scraper.ts";
import { sourceSchema } from "../../src/model/source.ts";
import fullFixture from "../fixtures/bundles/full.json";
import minimalFixture from "../fixtures/bundles/minimal.json";

/** Only the fields a bundle must give; everything else has a default. */
const sparseInput = {
  classes: [
    {
      name: "Quote",
      attrs: [
        { name: "base", attr_type: "B" },
        { name: "author_url", attr_type: "U" },
      ],
    },
  ],
  scrapers: [
    {
      name: "quotes",
      class: "Quote",
      page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "author_url" }],
      elems: [
        { attr: "base", x_path: "//div" },
        { attr: "author_url", processors: ["static"], proc_ctxt: { static: "http://x.test/a" } },
      ],
      checkers: [{ attr: "author_url" }],
    },
    { name: "quotes-without-checkers", class: "Quote", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//p" }] },
  ],
  sources: [{ name: "quotes", url: "http://x.test/", scraper: "quotes" }],
};

type Parsed = Bundle;
const first = <T>(items: readonly T[]): T => items[0] ?? fail("empty list");
function fail(message: string): never {
  throw new Error(message);
}

const at = {
  class: (b: Parsed) => first(b.classes),
  attr: (b: Parsed) => first(first(b.classes).attrs),
  scraper: (b: Parsed) => first(b.scrapers),
  scraperWithoutCheckers: (b: Parsed) => b.scrapers[1] ?? fail("no scrapers[1]"),
  mainPage: (b: Parsed) => first(first(b.scrapers).page_types),
  elem: (b: Parsed) => first(first(b.scrapers).elems),
  staticElem: (b: Parsed) => first(b.scrapers).elems[1] ?? fail("no elems[1]"),
  checker: (b: Parsed) => first(first(b.scrapers).checkers),
  source: (b: Parsed) => first(b.sources),
};

const defaults: { where: keyof typeof at; field: string; expected: unknown }[] = [
  { where: "class", field: "comments", expected: "" },
  { where: "class", field: "scraper_scheduler_conf", expected: { MIN_TIME: 15, MAX_TIME: 10080, INITIAL_NEXT_ACTION_FACTOR: 10, ZERO_ACTIONS_FACTOR_CHANGE: 20, FACTOR_CHANGE_FACTOR: 1.3 } },
  { where: "class", field: "checker_scheduler_conf", expected: { MIN_TIME: 1440, MAX_TIME: 10080, INITIAL_NEXT_ACTION_FACTOR: 1, ZERO_ACTIONS_FACTOR_CHANGE: 5, FACTOR_CHANGE_FACTOR: 1.3 } },
  { where: "attr", field: "order", expected: 100 },
  { where: "attr", field: "id_field", expected: false },
  { where: "attr", field: "save_to_db", expected: true },
  { where: "attr", field: "many", expected: false },
  { where: "scraper", field: "status", expected: "PAUSED" },
  { where: "scraper", field: "max_items_read", expected: null },
  { where: "scraper", field: "max_items_save", expected: null },
  { where: "scraper", field: "pagination_type", expected: "NONE" },
  { where: "scraper", field: "pagination_on_start", expected: false },
  { where: "scraper", field: "pagination_append_str", expected: "" },
  { where: "scraper", field: "pagination_page_replace", expected: "" },
  { where: "scraper", field: "follow_pages_url_xpath", expected: "" },
  { where: "scraper", field: "follow_pages_page_xpath", expected: "" },
  { where: "scraper", field: "follow_pages_all", expected: false },
  { where: "scraper", field: "num_pages_follow", expected: null },
  { where: "scraper", field: "last_scraper_save_alert_period", expected: "" },
  { where: "scraper", field: "last_checker_delete_alert_period", expected: "" },
  { where: "scraper", field: "webhook_url", expected: null },
  { where: "scraper", field: "comments", expected: "" },
  { where: "scraperWithoutCheckers", field: "checkers", expected: [] },
  { where: "mainPage", field: "content_type", expected: "HTML" },
  { where: "mainPage", field: "namespaces", expected: {} },
  { where: "mainPage", field: "render_javascript", expected: false },
  { where: "mainPage", field: "request_type", expected: "plain" },
  { where: "mainPage", field: "method", expected: "GET" },
  { where: "mainPage", field: "headers", expected: {} },
  { where: "mainPage", field: "cookies", expected: {} },
  { where: "mainPage", field: "form_data", expected: {} },
  { where: "mainPage", field: "body", expected: "" },
  { where: "mainPage", field: "dont_filter", expected: false },
  { where: "mainPage", field: "comments", expected: "" },
  { where: "elem", field: "reg_exp", expected: "" },
  { where: "elem", field: "page_type", expected: "MP" },
  { where: "elem", field: "use_default_procs", expected: true },
  { where: "elem", field: "processors", expected: [] },
  { where: "elem", field: "proc_ctxt", expected: {} },
  { where: "elem", field: "mandatory", expected: true },
  { where: "staticElem", field: "x_path", expected: "" },
  { where: "checker", field: "checker_type", expected: "404" },
  { where: "checker", field: "checker_x_path", expected: "" },
  { where: "checker", field: "checker_x_path_result", expected: "" },
  { where: "checker", field: "checker_ref_url", expected: "" },
  { where: "checker", field: "comments", expected: "" },
  { where: "source", field: "active", expected: true },
  { where: "source", field: "urls", expected: [] },
];

describe("parsing fills the documented defaults", () => {
  const parsed = parseBundle(sparseInput);

  test.each(defaults)("$where.$field", ({ where, field, expected }) => {
    const definition: Record<string, unknown> = at[where](parsed);
    expect(Object.hasOwn(definition, field)).toBe(true);
    expect(definition[field]).toEqual(expected);
  });

  test("the scheduler defaults are the exported constants", () => {
    expect(at.class(parsed).scraper_scheduler_conf).toEqual(SCRAPER_SCHEDULER_DEFAULTS);
    expect(at.class(parsed).checker_scheduler_conf).toEqual(CHECKER_SCHEDULER_DEFAULTS);
  });

  test("an empty object is an empty bundle", () => {
    expect(parseBundle({})).toEqual({ classes: [], scrapers: [], sources: [] });
  });

  test("the optional attr of a page type stays absent on MP and is kept on DP", () => {
    expect(Object.hasOwn(at.mainPage(parsed), "attr")).toBe(false);
    expect(first(parsed.scrapers).page_types[1]?.attr).toBe("author_url");
  });

  test("the minimal fixture expands to exactly its defaults", () => {
    expect(parseBundle(minimalFixture)).toEqual({
      classes: [
        {
          name: "Article",
          comments: "",
          scraper_scheduler_conf: SCRAPER_SCHEDULER_DEFAULTS,
          checker_scheduler_conf: CHECKER_SCHEDULER_DEFAULTS,
          attrs: [{ name: "base", order: 100, attr_type: "B", id_field: false, save_to_db: true, many: false }],
        },
      ],
      scrapers: [
        {
          name: "articles",
          class: "Article",
          status: "PAUSED",
          max_items_read: null,
          max_items_save: null,
          pagination_type: "NONE",
          pagination_on_start: false,
          pagination_append_str: "",
          pagination_page_replace: "",
          follow_pages_url_xpath: "",
          follow_pages_page_xpath: "",
          follow_pages_all: false,
          num_pages_follow: null,
          last_scraper_save_alert_period: "",
          last_checker_delete_alert_period: "",
          webhook_url: null,
          comments: "",
          page_types: [
            {
              page_type: "MP",
              content_type: "HTML",
              namespaces: {},
              render_javascript: false,
              request_type: "plain",
              method: "GET",
              headers: {},
              cookies: {},
              form_data: {},
              body: "",
              dont_filter: false,
              comments: "",
            },
          ],
          elems: [
            {
              attr: "base",
              x_path: "//article",
              reg_exp: "",
              page_type: "MP",
              use_default_procs: true,
              processors: [],
              proc_ctxt: {},
              mandatory: true,
            },
          ],
          checkers: [],
        },
      ],
      sources: [{ name: "news", url: "https://news.example.com/", scraper: "articles", active: true, urls: [] }],
    });
  });

  test("defaults are fresh values: changing one parse's defaults leaks nowhere", () => {
    const a = parseBundle(minimalFixture);
    const b = parseBundle(minimalFixture);
    const mp = first(first(a.scrapers).page_types);
    first(a.classes).scraper_scheduler_conf.MIN_TIME = 1;
    first(a.classes).checker_scheduler_conf.MAX_TIME = 99_999;
    mp.headers["X-Leak"] = "1";
    first(a.scrapers).checkers.push({ attr: "base", checker_type: "404", checker_x_path: "", checker_x_path_result: "", checker_ref_url: "", comments: "" });
    first(first(a.scrapers).elems).processors.push("join");
    first(a.sources).urls.push("http://leak.test/");

    expect(first(b.classes).scraper_scheduler_conf).toEqual(SCRAPER_SCHEDULER_DEFAULTS);
    expect(SCRAPER_SCHEDULER_DEFAULTS.MIN_TIME).toBe(15);
    expect(CHECKER_SCHEDULER_DEFAULTS.MAX_TIME).toBe(10080);
    expect(first(first(b.scrapers).page_types).headers).toEqual({});
    expect(first(b.scrapers).checkers).toEqual([]);
    expect(first(first(b.scrapers).elems).processors).toEqual([]);
    expect(first(b.sources).urls).toEqual([]);
  });

  test("parsing does not change its input", () => {
    const input = structuredClone(sparseInput);
    parseBundle(input);
    expect(input).toEqual(sparseInput);
  });
});

// Walks fixtures (typed per JSON module) and parse results alike.
type Loose = any;

/** Each kind of definition, its schema, and where its objects are in a parsed (or fixture) bundle. */
interface Kind {
  name: string;
  schema: z.ZodObject;
  objects: (b: Loose) => Record<string, unknown>[];
}

const kinds: Kind[] = [
  { name: "bundle", schema: bundleSchema, objects: (b) => [b] },
  { name: "class", schema: scrapedClassSchema, objects: (b) => b.classes },
  { name: "scheduler conf", schema: schedulerConfSchema, objects: (b) => b.classes.flatMap((c: Loose) => [c.scraper_scheduler_conf, c.checker_scheduler_conf].filter(Boolean)) },
  { name: "attr", schema: attrSchema, objects: (b) => b.classes.flatMap((c: Loose) => c.attrs) },
  { name: "scraper", schema: scraperSchema, objects: (b) => b.scrapers },
  { name: "page type", schema: pageTypeSchema, objects: (b) => b.scrapers.flatMap((s: Loose) => s.page_types) },
  { name: "elem", schema: elemSchema, objects: (b) => b.scrapers.flatMap((s: Loose) => s.elems) },
  { name: "checker", schema: checkerSchema, objects: (b) => b.scrapers.flatMap((s: Loose) => s.checkers ?? []) },
  { name: "source", schema: sourceSchema, objects: (b) => b.sources },
];

const schemaKeys = (kind: Kind): string[] => Object.keys(kind.schema.shape);

/** Every key of every object in `value`, reversed, recursively: input written in the "wrong" order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

describe("output key order is the schema's order", () => {
  const fromSparse = parseBundle(reversedKeys(sparseInput));
  const fromFull = parseBundle(reversedKeys(fullFixture));

  test("reversing the input really reverses it", () => {
    expect(Object.keys((reversedKeys(sparseInput) as Record<string, unknown>) ?? {})).toEqual(["sources", "scrapers", "classes"]);
  });

  test.each(kinds)("$name", (kind) => {
    for (const parsed of [fromSparse, fromFull]) {
      const objects = kind.objects(parsed);
      expect(objects.length).toBeGreaterThan(0);
      for (const obj of objects) {
        // `attr` is the only field without a default: absent on MP and FP page types.
        const expected = schemaKeys(kind).filter((k) => !(kind.name === "page type" && k === "attr" && !Object.hasOwn(obj, "attr")));
        expect(Object.keys(obj)).toEqual(expected);
      }
    }
  });
});

describe("fixtures", () => {
  test.each(kinds)("keys of each $name in the fixtures follow the schema's order", (kind) => {
    for (const fixture of [fullFixture, minimalFixture]) {
      for (const obj of kind.objects(fixture)) {
        const keys = Object.keys(obj);
        expect(keys).toEqual(schemaKeys(kind).filter((k) => keys.includes(k)));
      }
    }
  });

  test.each(kinds)("every $name in the full fixture spells out every field", (kind) => {
    for (const obj of kind.objects(fullFixture)) {
      const missing = schemaKeys(kind).filter((k) => !Object.hasOwn(obj, k));
      // A page type names an attr only when it is a detail page type.
      const allowed = kind.name === "page type" && !String(obj.page_type).startsWith("DP") ? ["attr"] : [];
      expect(missing).toEqual(allowed);
    }
  });

  test("the full fixture parses to exactly itself", () => {
    const parsed = parseBundle(fullFixture);
    expect(parsed).toEqual(fullFixture as never);
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(fullFixture));
  });

  test("parsing is idempotent on the minimal fixture", () => {
    const once = parseBundle(minimalFixture);
    expect(JSON.stringify(parseBundle(once))).toBe(JSON.stringify(once));
  });

  /** For each field with a default (the table above): some object of that kind in the full fixture sets another value. */
  const kindOf: Record<keyof typeof at, string> = {
    class: "class",
    attr: "attr",
    scraper: "scraper",
    scraperWithoutCheckers: "scraper",
    mainPage: "page type",
    elem: "elem",
    staticElem: "elem",
    checker: "checker",
    source: "source",
  };
  const nonDefaultCases = defaults.map(({ where, field, expected }) => ({
    kind: kinds.find((k) => k.name === kindOf[where]) ?? fail(`no kind for ${where}`),
    field,
    expected,
  }));

  test("every field with a default is in the defaults table", () => {
    const covered = new Set(nonDefaultCases.map((c) => `${c.kind.name}.${c.field}`));
    const required = new Set(["name", "attr_type", "attrs", "class", "page_types", "elems", "page_type", "attr", "url", "scraper"]);
    const expected = kinds
      .filter((k) => k.name !== "bundle" && k.name !== "scheduler conf")
      .flatMap((k) => schemaKeys(k).filter((f) => !required.has(f) || (k.name === "elem" && f === "page_type")).map((f) => `${k.name}.${f}`));
    expect([...covered].sort()).toEqual(expected.sort());
  });

  test.each(nonDefaultCases)("the full fixture sets $kind.name.$field to a non-default value", ({ kind, field, expected }) => {
    const values = kind.objects(fullFixture).map((o) => JSON.stringify(o[field]));
    expect(values.length).toBeGreaterThan(0);
    expect(values.some((v) => v !== JSON.stringify(expected))).toBe(true);
  });

  test("each scheduler conf key is set to a non-default value", () => {
    for (const cls of fullFixture.classes) {
      for (const [conf, defaults] of [
        [cls.scraper_scheduler_conf, SCRAPER_SCHEDULER_DEFAULTS],
        [cls.checker_scheduler_conf, CHECKER_SCHEDULER_DEFAULTS],
      ] as const) {
        for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) expect(conf[key]).not.toBe(defaults[key]);
      }
    }
  });

  test("the full fixture covers what the import/export tests rely on", () => {
    const scrapers = fullFixture.scrapers;
    expect(fullFixture.classes.length).toBeGreaterThanOrEqual(2);
    const html = scrapers.find((s) => s.pagination_type === "FOLLOW");
    const json = scrapers.find((s) => s.pagination_type === "RANGE_FUNCT");
    expect(html?.page_types.map((p) => [p.page_type, p.content_type])).toEqual([
      ["MP", "HTML"],
      ["FP", "HTML"],
      ["DP1", "HTML"],
      ["DP2", "JSON"],
    ]);
    expect(json?.page_types.find((p) => p.page_type === "MP")?.content_type).toBe("JSON");
    // The JSON module types each scraper's elems differently; this is the part the checks read.
    const elems: { x_path: string; processors: string[]; proc_ctxt: Record<string, string> }[] = scrapers.flatMap((s) => s.elems as never);
    const processors = new Set(elems.flatMap((e) => e.processors));
    for (const p of ["pre_url", "date", "substr_replace", "static", "join", "string_strip", "remove_chars"]) expect(processors.has(p)).toBe(true);
    expect(elems.some((e) => e.proc_ctxt.substr_replace?.includes("\\:"))).toBe(true);
    expect(elems.some((e) => e.processors.includes("static") && e.x_path === "")).toBe(true);
    expect(fullFixture.classes.flatMap((c) => c.attrs).filter((a) => a.many).length).toBeGreaterThan(0);
    expect(new Set(scrapers.flatMap((s) => s.checkers.map((c) => c.checker_type)))).toEqual(new Set(["404", "404_OR_X_PATH"]));
    expect(fullFixture.sources.every((s) => s.urls.length > 0)).toBe(true);
  });
});
