/**
 * `import --from-dds`: a DDS `dumpdata dynamic_scraper` fixture becomes a bundle that passes the normal bundle
 * validation; malformed fixtures are refused at the fixture row that is wrong.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { convertDdsFixture, splitProcessors } from "../../src/bundle/dds.ts";
import { parseDictBody, pyRepr, type PyValue } from "../../src/model/python-literal.ts";
import { ValidationError, type Issue } from "../../src/errors.ts";
import { parseBundle } from "../../src/model/bundle.ts";
import { CHECKER_SCHEDULER_DEFAULTS } from "../../src/model/scheduler-conf.ts";

const FIXTURE_PATH = join(import.meta.dir, "../fixtures/dds/dumpdata.json");
const loadFixture = (): unknown => JSON.parse(readFileSync(FIXTURE_PATH, "utf8"));

interface FixtureRow {
  model: string;
  pk: unknown;
  fields: Record<string, unknown>;
}

const row = (model: string, pk: number, fields: Record<string, unknown>): FixtureRow => ({ model: `dynamic_scraper.${model}`, pk, fields });

const scraperFields = (fields: Record<string, unknown>) => ({
  name: "items",
  scraped_obj_class: 1,
  status: "P",
  work_status: "N",
  owner: "",
  max_items_read: null,
  max_items_save: null,
  pagination_type: "N",
  pagination_on_start: false,
  pagination_append_str: "",
  pagination_page_replace: "",
  follow_pages_url_xpath: "",
  follow_pages_page_xpath: "",
  num_pages_follow: null,
  last_scraper_save_alert_period: "",
  next_last_scraper_save_alert: "2020-01-01T00:00:00Z",
  last_checker_delete_alert_period: "",
  next_last_checker_delete_alert: "2020-01-01T00:00:00Z",
  comments: "",
  last_scraper_save: null,
  last_checker_delete: null,
  ...fields,
});

const pageTypeFields = (fields: Record<string, unknown>) => ({
  page_type: "MP",
  scraped_obj_attr: null,
  scraper: 1,
  content_type: "H",
  render_javascript: false,
  request_type: "R",
  method: "GET",
  headers: "",
  body: "",
  cookies: "",
  meta: "",
  form_data: "",
  dont_filter: false,
  comments: "",
  ...fields,
});

const elemFields = (fields: Record<string, unknown>) => ({
  scraped_obj_attr: 1,
  scraper: 1,
  x_path: "//li",
  reg_exp: "",
  request_page_type: "MP",
  use_default_procs: true,
  processors: "",
  proc_ctxt: "",
  mandatory: true,
  ...fields,
});

/** Where each row of `minimal()` sits: issue paths start with these indexes. */
const AT = { class: 0, base: 1, title: 2, url: 3, scraper: 4, mainPage: 5, checker: 6, baseElem: 7, titleElem: 8, urlElem: 9 } as const;

/** The smallest fixture DDS would write for one working scraper, in dumpdata's model order. */
function minimal(): FixtureRow[] {
  return [
    row("scrapedobjclass", 1, { name: "Item", scraper_scheduler_conf: "", checker_scheduler_conf: "", comments: "" }),
    row("scrapedobjattr", 1, { name: "base", order: 100, obj_class: 1, attr_type: "B", id_field: false, save_to_db: true }),
    row("scrapedobjattr", 2, { name: "title", order: 100, obj_class: 1, attr_type: "S", id_field: false, save_to_db: true }),
    row("scrapedobjattr", 3, { name: "url", order: 100, obj_class: 1, attr_type: "U", id_field: true, save_to_db: true }),
    row("scraper", 1, scraperFields({})),
    row("requestpagetype", 1, pageTypeFields({})),
    row("checker", 1, { scraped_obj_attr: 3, scraper: 1, checker_type: "4", checker_x_path: "", checker_x_path_result: "", checker_ref_url: "", comments: "" }),
    row("scraperelem", 1, elemFields({ scraped_obj_attr: 1 })),
    row("scraperelem", 2, elemFields({ scraped_obj_attr: 2, x_path: "a/text()" })),
    row("scraperelem", 3, elemFields({ scraped_obj_attr: 3, x_path: "a/@href" })),
  ];
}

/** `minimal()` with some fields of row `index` replaced. */
function patched(index: number, fields: Record<string, unknown>, rows = minimal()): FixtureRow[] {
  const target = rows[index];
  if (!target) throw new Error(`no row ${index}`);
  rows[index] = { ...target, fields: { ...target.fields, ...fields } };
  return rows;
}

function issuesOf(fixture: unknown): Issue[] {
  try {
    convertDdsFixture(fixture);
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  throw new Error("the fixture was accepted");
}

describe("the full DDS fixture", () => {
  const { bundle, report } = convertDdsFixture(loadFixture());
  const parsed = parseBundle(bundle);

  test("converts into a bundle that passes the bundle validation", () => {
    expect(parsed.classes.map((c) => c.name)).toEqual(["Article", "Event"]);
    expect(parsed.scrapers.map((s) => [s.name, s.class])).toEqual([
      ["Wikinews Scraper", "Article"],
      ["Event API", "Event"],
      ["Wikinews Follow", "Article"],
    ]);
    expect(parsed.sources).toEqual([]);
  });

  test("classes keep comments and scheduler confs; an empty conf is left to the default", () => {
    const [article, event] = bundle.classes ?? [];
    expect(article).toMatchObject({
      name: "Article",
      comments: "News articles from Wikinews.",
      scraper_scheduler_conf: { MIN_TIME: 30, MAX_TIME: 4320, INITIAL_NEXT_ACTION_FACTOR: 8, ZERO_ACTIONS_FACTOR_CHANGE: 12, FACTOR_CHANGE_FACTOR: 1.5 },
      checker_scheduler_conf: { MIN_TIME: 720, MAX_TIME: 20160, INITIAL_NEXT_ACTION_FACTOR: 2, ZERO_ACTIONS_FACTOR_CHANGE: 4, FACTOR_CHANGE_FACTOR: 1.25 },
    });
    expect(event).toMatchObject({
      name: "Event",
      comments: "",
      scraper_scheduler_conf: { MIN_TIME: 60, MAX_TIME: 1440, INITIAL_NEXT_ACTION_FACTOR: 2, ZERO_ACTIONS_FACTOR_CHANGE: 10, FACTOR_CHANGE_FACTOR: 2 },
    });
    expect(event).not.toHaveProperty("checker_scheduler_conf");
    expect(parsed.classes[1]?.checker_scheduler_conf).toEqual(CHECKER_SCHEDULER_DEFAULTS);
  });

  test("attrs are grouped by class and ordered by pk, with every field", () => {
    const attrs = (i: number) => bundle.classes?.[i]?.attrs.map((a) => [a.name, a.order, a.attr_type, a.id_field, a.save_to_db]);
    expect(attrs(0)).toEqual([
      ["base", 10, "B", false, true],
      ["title", 20, "S", false, true],
      ["url", 30, "U", true, true],
      ["description", 40, "T", false, true],
      ["thumbnail", 50, "I", false, true],
      ["author_url", 60, "U", false, false],
      ["author_name", 70, "S", false, true],
      ["pub_date", 80, "T", false, true],
      ["source", 90, "S", false, false],
    ]);
    expect(attrs(1)).toEqual([
      ["base", 100, "B", false, true],
      ["title", 100, "S", true, true],
      ["start_date", 100, "S", false, true],
      ["event_url", 100, "U", false, true],
      ["price", 100, "T", false, true],
    ]);
  });

  test("scraper fields, codes mapped; run-time state and DDS-only fields are gone", () => {
    const { page_types, elems, checkers, ...wikinews } = bundle.scrapers?.[0] ?? { page_types: [], elems: [], checkers: [] };
    expect(wikinews).toEqual({
      name: "Wikinews Scraper",
      class: "Article",
      status: "ACTIVE",
      max_items_read: 100,
      max_items_save: 50,
      pagination_type: "RANGE_FUNCT",
      pagination_on_start: true,
      pagination_append_str: "/page/{page}",
      pagination_page_replace: "1, 10, 2",
      follow_pages_url_xpath: "//a[@class='next']/@href",
      follow_pages_page_xpath: "//a[@class='next']/text()",
      num_pages_follow: 3,
      last_scraper_save_alert_period: "6h",
      last_checker_delete_alert_period: "2w",
      comments: "Range pages, then next links from each.",
    });
    expect([page_types.length, elems.length, checkers?.length]).toEqual([4, 9, 2]);
    const [, api, follow] = bundle.scrapers ?? [];
    // DDS reads a limit of 0 as "no limit".
    expect(api).toMatchObject({ status: "MANUAL", max_items_read: 25, max_items_save: null, pagination_type: "FREE_LIST", pagination_page_replace: "'music', 'theatre'" });
    expect(follow).toMatchObject({ status: "INACTIVE", pagination_type: "FOLLOW", follow_pages_url_xpath: "//li[@class='next']/a/@href", num_pages_follow: null });
  });

  test("page types: ordered by pk, attr by name, JSON texts as objects of strings", () => {
    expect(bundle.scrapers?.[0]?.page_types).toEqual([
      {
        page_type: "MP",
        content_type: "HTML",
        render_javascript: false,
        request_type: "plain",
        method: "GET",
        headers: { Referer: "http://en.wikinews.org/", "X-Page": "{page}" },
        cookies: { lang: "en" },
        form_data: {},
        body: "",
        dont_filter: false,
        comments: "Main page",
      },
      {
        page_type: "DP1",
        attr: "url",
        content_type: "HTML",
        render_javascript: true,
        request_type: "form",
        method: "POST",
        headers: {},
        cookies: {},
        form_data: { q: "{title}", page: "1" },
        body: "",
        dont_filter: false,
        comments: "Article page",
      },
      {
        page_type: "DP2",
        attr: "author_url",
        content_type: "XML",
        render_javascript: false,
        request_type: "plain",
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        cookies: {},
        form_data: {},
        body: "ref={title}",
        dont_filter: true,
        comments: "",
      },
      {
        page_type: "FP",
        content_type: "HTML",
        render_javascript: false,
        request_type: "plain",
        method: "GET",
        headers: { Referer: "http://en.wikinews.org/wiki/Main_Page" },
        cookies: {},
        form_data: {},
        body: "",
        dont_filter: false,
        comments: "",
      },
    ]);
    expect(bundle.scrapers?.[1]?.page_types.map((p) => [p.page_type, p.attr, p.content_type, p.headers, p.dont_filter])).toEqual([
      ["MP", undefined, "JSON", { Accept: "application/json", "X-Api-Version": "2" }, true],
      ["DP1", "event_url", "JSON", { Accept: "application/json" }, false],
    ]);
  });

  test("elems: processor lists split, Python contexts read, unused context keys dropped", () => {
    const elems = bundle.scrapers?.[0]?.elems.map((e) => [e.attr, e.page_type, e.use_default_procs, e.processors, e.proc_ctxt, e.mandatory]);
    expect(elems).toEqual([
      ["base", "MP", true, [], {}, true],
      ["title", "MP", true, ["substr_replace"], { substr_replace: "Breaking\\: :" }, true],
      ["url", "MP", true, ["pre_url"], { pre_url: "http://en.wikinews.org" }, true],
      ["description", "DP1", false, ["string_strip", "post_string"], { string_strip: " .\n", post_string: " \u2026" }, false],
      ["thumbnail", "DP1", true, ["pre_url"], { pre_url: "http://upload.wikimedia.org/" }, false],
      ["author_url", "MP", true, ["pre_url"], { pre_url: "http://en.wikinews.org/" }, true],
      ["author_name", "DP2", true, [], {}, false],
      ["pub_date", "MP", true, ["date"], { date: "%d.%m.%Y" }, true],
      ["source", "MP", false, ["static"], { static: "Wikinews (en)" }, false],
    ]);
    const pubDate = bundle.scrapers?.[0]?.elems[7];
    expect([pubDate?.x_path, pubDate?.reg_exp]).toEqual(["span[@class='l_date']/text()", "(?P<extract>\\d{1,2}\\.\\d{1,2}\\.\\d{4})"]);
    expect(bundle.scrapers?.[0]?.elems[8]?.x_path).toBe("");
    expect(bundle.scrapers?.[1]?.elems.map((e) => [e.attr, e.x_path, e.processors, e.proc_ctxt])).toEqual([
      ["base", "$.events", [], {}],
      ["title", "title", [], {}],
      ["start_date", "$.start", ["ts_to_date"], {}],
      ["event_url", "links.self", ["pre_url"], { pre_url: "https://api.example.org/" }],
      ["price", "$.price.amount", ["pre_string"], { pre_string: "EUR\u00a0" }],
    ]);
    expect(bundle.scrapers?.[2]?.elems.map((e) => [e.attr, e.x_path])).toEqual([
      ["base", "//div[@class='article']"],
      ["title", "h2/text()"],
      ["url", "a/@href"],
    ]);
  });

  test("checkers of both types, by attr name", () => {
    expect(bundle.scrapers?.flatMap((s) => s.checkers ?? [])).toEqual([
      {
        attr: "url",
        checker_type: "404_OR_X_PATH",
        checker_x_path: "//div[@class='noarticletext']/text()",
        checker_x_path_result: "This page does not exist.",
        checker_ref_url: "http://en.wikinews.org/wiki/Nonexistent",
        comments: "Deleted articles",
      },
      { attr: "author_url", checker_type: "404", checker_x_path: "", checker_x_path_result: "", checker_ref_url: "http://en.wikinews.org/wiki/User:Nobody", comments: "" },
      { attr: "event_url", checker_type: "404", checker_x_path: "", checker_x_path_result: "", checker_ref_url: "https://api.example.org/events/0", comments: "" },
    ]);
  });

  test("the report counts, lists the scrapers without a source and names every dropped value", () => {
    expect(report.converted).toEqual({ scrapedobjclass: 2, scrapedobjattr: 14, scraper: 3, requestpagetype: 7, scraperelem: 17, checker: 3 });
    expect(report.scrapersWithoutSource).toEqual(["Wikinews Scraper", "Event API", "Wikinews Follow"]);
    expect([report.runtimesSkipped, report.logsSkipped, report.logMarkersSkipped]).toEqual([3, 2, 1]);
    expect(report.warnings).toEqual([
      'dynamic_scraper.scraper pk 1: work_status "W" (WORKING) was dropped: dscraper has no work status',
      'dynamic_scraper.scraper pk 1: owner "holger" was dropped: dscraper has no scraper owner',
      'dynamic_scraper.scraper pk 3: work_status "BR" (BROKEN) was dropped: dscraper has no work status',
      'dynamic_scraper.requestpagetype pk 1: meta "{\\"download_delay\\": 2}" was dropped: dscraper has no Scrapy request meta',
      'dynamic_scraper.requestpagetype pk 3: form_data key "debug" is null and was dropped',
      "dynamic_scraper.scraperelem pk 9: proc_ctxt key 'pre_string' was dropped: no processor of this elem reads it",
    ]);
  });

  test("row order in the fixture does not matter: children are ordered by pk", () => {
    const rows = loadFixture() as FixtureRow[];
    const shuffled = [...rows].reverse();
    expect(convertDdsFixture(shuffled).bundle).toEqual(bundle);
  });
});

describe("DDS codes", () => {
  const convert = (rows: FixtureRow[]) => convertDdsFixture(rows).bundle;
  const scraperOf = (rows: FixtureRow[]) => convert(rows).scrapers?.[0];

  test.each([
    ["S", "S"],
    ["T", "T"],
    ["U", "U"],
    ["I", "I"],
  ])("attr_type %s", (code, expected) => {
    expect(convert(patched(AT.title, { attr_type: code })).classes?.[0]?.attrs[1]?.attr_type).toBe(expected as "S");
  });

  test("attr_type B", () => {
    expect(convert(minimal()).classes?.[0]?.attrs[0]?.attr_type).toBe("B");
  });

  test.each([
    ["A", "ACTIVE"],
    ["M", "MANUAL"],
    ["P", "PAUSED"],
    ["I", "INACTIVE"],
  ])("status %s → %s", (code, expected) => {
    expect(scraperOf(patched(AT.scraper, { status: code }))?.status).toBe(expected as "ACTIVE");
  });

  test.each([
    ["N", "NONE", {}],
    ["R", "RANGE_FUNCT", { pagination_append_str: "/p/{page}", pagination_page_replace: "0, 40, 10" }],
    ["F", "FREE_LIST", { pagination_append_str: "/p/{page}", pagination_page_replace: "'a-d', 'e-h'" }],
    ["O", "FOLLOW", { follow_pages_url_xpath: "//a[@rel='next']/@href" }],
  ])("pagination_type %s → %s (and the bundle validates)", (code, expected, extra) => {
    const bundle = convert(patched(AT.scraper, { pagination_type: code, ...extra }));
    expect(bundle.scrapers?.[0]?.pagination_type).toBe(expected as "NONE");
    expect(parseBundle(bundle).scrapers[0]?.pagination_type).toBe(expected as "NONE");
  });

  test.each([
    ["H", "HTML"],
    ["X", "XML"],
    ["J", "JSON"],
  ])("content_type %s → %s", (code, expected) => {
    expect(scraperOf(patched(AT.mainPage, { content_type: code }))?.page_types[0]?.content_type).toBe(expected as "HTML");
  });

  test.each([
    ["R", "plain"],
    ["F", "form"],
  ])("request_type %s → %s", (code, expected) => {
    expect(scraperOf(patched(AT.mainPage, { request_type: code }))?.page_types[0]?.request_type).toBe(expected as "plain");
  });

  test.each(["GET", "POST"])("method %s", (method) => {
    expect(scraperOf(patched(AT.mainPage, { method }))?.page_types[0]?.method).toBe(method as "GET");
  });

  test.each([
    ["4", "404", {}],
    ["X", "404_OR_X_PATH", { checker_x_path: "//h1[.='Not found']" }],
  ])("checker_type %s → %s", (code, expected, extra) => {
    const bundle = convert(patched(AT.checker, { checker_type: code, ...extra }));
    expect(bundle.scrapers?.[0]?.checkers?.[0]?.checker_type).toBe(expected as "404");
    expect(parseBundle(bundle).scrapers[0]?.checkers[0]?.checker_type).toBe(expected as "404");
  });

  test.each(["MP", "DP1", "DP25"])("elem request_page_type %s", (code) => {
    expect(scraperOf(patched(AT.titleElem, { request_page_type: code }))?.elems[1]?.page_type).toBe(code);
  });

  test("follow_pages_by_xpath, the name of DDS's 2017 development releases, is read as follow_pages_url_xpath", () => {
    const rows = minimal();
    const { follow_pages_url_xpath: _, ...fields } = rows[AT.scraper]!.fields;
    rows[AT.scraper] = { ...rows[AT.scraper]!, fields: { ...fields, pagination_type: "O", follow_pages_by_xpath: "//a[@rel='next']/@href" } };
    const { bundle, report } = convertDdsFixture(rows);
    expect(bundle.scrapers?.[0]?.follow_pages_url_xpath).toBe("//a[@rel='next']/@href");
    expect(report.warnings).toEqual([]);
  });

  test("a minimal fixture converts without warnings and validates", () => {
    const { bundle, report } = convertDdsFixture(minimal());
    expect(report.warnings).toEqual([]);
    expect(report.scrapersWithoutSource).toEqual(["items"]);
    expect(parseBundle(bundle).scrapers[0]?.elems.map((e) => e.attr)).toEqual(["base", "title", "url"]);
  });
});

describe("parseDictBody (Python dict bodies, as DDS evaluates them)", () => {
  // Expected values checked against Python's ast.literal_eval("{" + text.strip(", ") + "}").
  const valid: [string, string, Record<string, PyValue>][] = [
    ["empty", "", {}],
    ["only whitespace", "   \n ", {}],
    ["single quotes", "'a': 'x'", { a: "x" }],
    ["double quotes", '"a": "x"', { a: "x" }],
    [
      "numbers",
      "'a': 1, 'b': -2, 'c': 1.5, 'd': .5, 'e': 1e3, 'f': 1_000, 'g': 0x1F, 'h': 2., 'i': -0.25E-2, 'j': 00",
      { a: 1, b: -2, c: 1.5, d: 0.5, e: 1000, f: 1000, g: 31, h: 2, i: -0.0025, j: 0 },
    ],
    ["True, False, None", "'t': True, 'f': False, 'n': None", { t: true, f: false, n: null }],
    ["trailing comma", "'a': 'x',", { a: "x" }],
    ["trailing comma and line break", "'a': 'x',\n", { a: "x" }],
    ["leading comma (DDS strips it)", ", 'a': 'x'", { a: "x" }],
    ["escaped quotes", String.raw`'q': 'it\'s', 'd': "say \"hi\"", 'm': "it's" `, { q: "it's", d: 'say "hi"', m: "it's" }],
    ["escapes; an unknown escape keeps its backslash", String.raw`'n': 'a\nb\tc', 'c': 'x\:y', 'bs': 'a\\b'`, { n: "a\nb\tc", c: "x\\:y", bs: "a\\b" }],
    ["unicode, hex and octal escapes", String.raw`'u': u'\u00e9\x41\101\U0001F600'`, { u: "\u00e9AA\u{1F600}" }],
    ["raw strings", String.raw`'r': r'\d+\.\d', 'R': R'\''`, { r: "\\d+\\.\\d", R: "\\'" }],
    ["adjacent strings are joined", `'j': 'ab' "cd"`, { j: "abcd" }],
    ["triple quotes", "'t': '''tri'ple\nline'''", { t: "tri'ple\nline" }],
    ["a repeated key keeps the last value", "'a': 1, 'a': 2", { a: 2 }],
    ["comments", "'a': 1,  # first\n'b': 2", { a: 1, b: 2 }],
    ["backslash-newline inside a string", "'cont': 'a\\\nb'", { cont: "ab" }],
    ["a DDS scheduler conf typed in the admin (CRLF)", '"MIN_TIME": 15,\r\n"FACTOR_CHANGE_FACTOR": 1.3,\r\n', { MIN_TIME: 15, FACTOR_CHANGE_FACTOR: 1.3 }],
  ];
  test.each(valid)("%s", (_name, text, expected) => {
    expect(parseDictBody(text)).toEqual({ value: expected });
  });

  test("a key __proto__ is an ordinary key", () => {
    const result = parseDictBody("'__proto__': 'x'");
    expect("value" in result && Object.getPrototypeOf(result.value)).toBe(Object.prototype);
    expect("value" in result && Object.entries(result.value)).toEqual([["__proto__", "x"]]);
  });

  const invalid: [string, string][] = [
    ["'a' 'x'", `expected ":" after key 'ax', found the end of the text (at character 8)`],
    ["'a': 'x' 'b': 'y'", `expected "," after the value of 'a', found ":" (at character 13)`],
    ["'a': 'x", "unterminated string (at character 6)"],
    ["'a': 'x\ny'", "unterminated string (a line break inside quotes) (at character 6)"],
    ["a: 1", `expected a quoted key, found "a" (at character 1)`],
    ["{'a': 1}", `expected a quoted key, found "{" (at character 1)`],
    ["'a' 1", `expected ":" after key 'a', found "1" (at character 5)`],
    ["'a': true", "unknown name true: text must be quoted ('true'), and Python writes True, False and None (at character 6)"],
    ["'a': [1]", "values must be strings, numbers, True, False or None, not a list (at character 6)"],
    ["'a': 1,, 'b': 2", `unexpected "," (at character 8)`],
    ["'a': 015", "leading zeros are not allowed in 015 (at character 6)"],
    ["'a': 15min", "invalid number 15m (at character 6)"],
    ["'a': ", "expected a value, found the end of the text (at character 6)"],
    ["'a': b'x'", "bytes literals are not supported (at character 6)"],
    [String.raw`'a': '\x4'`, String.raw`truncated \x escape (needs 2 hex digits) (at character 7)`],
    ["'a': 1 'b': 2", `expected "," after the value of 'a', found "'" (at character 8)`],
    [`'a': 1 "b": 2`, `expected "," after the value of 'a', found '"' (at character 8)`],
  ];
  test.each(invalid)("syntax error: %j", (text, error) => {
    expect(parseDictBody(text)).toEqual({ error });
  });

  test("pyRepr quotes values the way Python prints them", () => {
    expect([pyRepr("a"), pyRepr("it's"), pyRepr("a\\b\n"), pyRepr(1.5), pyRepr(true), pyRepr(null)]).toEqual([
      "'a'",
      `"it's"`,
      "'a\\\\b\\n'",
      "1.5",
      "True",
      "None",
    ]);
  });

  test.each([
    ["pre_url, string_strip", ["pre_url", "string_strip"]],
    ["", []],
    [" pre_url ,, static ,", ["pre_url", "static"]],
  ])("splitProcessors %j", (text, expected) => {
    expect(splitProcessors(text)).toEqual(expected);
  });
});

describe("the report", () => {
  test("rows of other models are skipped with a warning; runtimes, logs and markers are counted", () => {
    const rows = [
      ...minimal(),
      { model: "auth.user", pk: 1, fields: { username: "admin" } },
      row("schedulerruntime", 1, { runtime_type: "S", next_action_time: "2020-01-01T00:00:00Z", next_action_factor: null, num_zero_actions: 0 }),
      row("schedulerruntime", 2, { runtime_type: "C", next_action_time: "2020-01-01T00:00:00Z", next_action_factor: 1, num_zero_actions: 0 }),
      row("log", 1, { message: "m", ref_object: "", type: "", level: 40, spider_name: "s", scraper: 1, date: "2020-01-01T00:00:00Z" }),
      row("logmarker", 1, { message_contains: "m", ref_object: "", mark_with_type: "IG", custom_type: "", spider_name: "", scraper: null }),
    ];
    const { report } = convertDdsFixture(rows);
    expect(report.warnings).toEqual(["auth.user pk 1: not a DDS definition model, the row was skipped"]);
    expect([report.runtimesSkipped, report.logsSkipped, report.logMarkersSkipped]).toEqual([2, 1, 1]);
    expect(report.converted).toEqual({ scrapedobjclass: 1, scrapedobjattr: 3, scraper: 1, requestpagetype: 1, scraperelem: 3, checker: 1 });
  });

  test("dropped and changed values are named by model, pk and field", () => {
    let rows = patched(AT.mainPage, { scraped_obj_attr: 3, meta: '{"dont_redirect": true}' });
    rows = patched(AT.class, { name: "Item ", scraper_scheduler_conf: "'MIN_TIME': 15, 'MAX_TIME': 60, 'INITIAL_NEXT_ACTION_FACTOR': 1, 'ZERO_ACTIONS_FACTOR_CHANGE': 5, 'FACTOR_CHANGE_FACTOR': 1.3, 'SPEED': 2" }, rows);
    rows = patched(AT.titleElem, { processors: "post_string", proc_ctxt: "'post_string': 1, 'spider': 'x', 'string_strip': ' -'", from_detail_page: false }, rows);
    const { bundle, report } = convertDdsFixture(rows);
    expect(report.warnings).toEqual([
      `dynamic_scraper.scrapedobjclass pk 1: name "Item " was trimmed to "Item"`,
      "dynamic_scraper.scrapedobjclass pk 1: scraper_scheduler_conf key 'SPEED' was dropped: DDS's scheduler does not use it",
      'dynamic_scraper.requestpagetype pk 1: meta "{\\"dont_redirect\\": true}" was dropped: dscraper has no Scrapy request meta',
      "dynamic_scraper.scraperelem pk 2: proc_ctxt key 'spider' was dropped: no processor of this elem reads it",
      "dynamic_scraper.scraperelem pk 2: from_detail_page is not a DDS 0.13 field and was ignored",
      "dynamic_scraper.requestpagetype pk 1: scraped_obj_attr 3 was dropped: only detail page types (DP1…DP25) are tied to an attr",
    ]);
    // string_strip is read by the default processors, a number context becomes Python's str() of it.
    expect(bundle.scrapers?.[0]?.elems[1]?.proc_ctxt).toEqual({ post_string: "1", string_strip: " -" });
    expect(bundle.scrapers?.[0]?.page_types[0]).not.toHaveProperty("attr");
    expect(bundle.classes?.[0]?.name).toBe("Item");
    expect(bundle.scrapers?.[0]?.class).toBe("Item");
    expect(parseBundle(bundle).classes[0]?.scraper_scheduler_conf.MAX_TIME).toBe(60);
  });
});

describe("invalid fixtures are refused at the fixture row", () => {
  const withRows = (...extra: FixtureRow[]) => [...minimal(), ...extra];
  const cases: [string, () => unknown, Issue[]][] = [
    ["not a list", () => ({ rows: [] }), [{ path: "", message: "must be a JSON array of fixture rows as `dumpdata dynamic_scraper` writes it, got an object" }]],
    ["a row that is not an object", () => [...minimal(), "oops"], [{ path: "[10]", message: 'must be an object {"model", "pk", "fields"}, got string "oops"' }]],
    [
      "a row without model, pk or fields",
      () => [...minimal(), { model: "scraper", pk: "7" }],
      [
        { path: "[10].model", message: 'must be "app_label.model_name", got "scraper"' },
        { path: "[10].pk", message: 'must be an integer, got "7"' },
        { path: "[10].fields", message: "must be an object, got nothing" },
      ],
    ],
    ["an unknown attr_type", () => patched(AT.title, { attr_type: "Q" }), [{ path: "[2].fields.attr_type", message: 'unknown code "Q" (expected S, T, B, U or I)' }]],
    ["an unknown status", () => patched(AT.scraper, { status: "X" }), [{ path: "[4].fields.status", message: 'unknown code "X" (expected A, M, P or I)' }]],
    ["an unknown pagination type", () => patched(AT.scraper, { pagination_type: "FOLLOW" }), [{ path: "[4].fields.pagination_type", message: 'unknown code "FOLLOW" (expected N, R, F or O)' }]],
    ["an unknown checker type", () => patched(AT.checker, { checker_type: 404 }), [{ path: "[6].fields.checker_type", message: "unknown code 404 (expected 4 or X)" }]],
    ["an elem on a follow page", () => patched(AT.titleElem, { request_page_type: "FP" }), [{ path: "[8].fields.request_page_type", message: 'unknown code "FP" (expected MP or DP1 … DP25 (follow pages use the MP elems))' }]],
    ["a page type DP26", () => withRows(row("requestpagetype", 2, pageTypeFields({ page_type: "DP26", scraped_obj_attr: 3 }))), [{ path: "[10].fields.page_type", message: 'unknown code "DP26" (expected MP, FP or DP1 … DP25)' }]],
    ["a reference to a missing attr", () => patched(AT.titleElem, { scraped_obj_attr: 99 }), [{ path: "[8].fields.scraped_obj_attr", message: "refers to dynamic_scraper.scrapedobjattr pk 99, which is not in the fixture" }]],
    ["a reference to a missing class", () => patched(AT.url, { obj_class: 5 }), [{ path: "[3].fields.obj_class", message: "refers to dynamic_scraper.scrapedobjclass pk 5, which is not in the fixture" }]],
    ["a reference to a missing scraper", () => patched(AT.checker, { scraper: 2 }), [{ path: "[6].fields.scraper", message: "refers to dynamic_scraper.scraper pk 2, which is not in the fixture" }]],
    [
      "an attr of another class",
      () =>
        withRows(
          row("scrapedobjclass", 2, { name: "Other", scraper_scheduler_conf: "", checker_scheduler_conf: "", comments: "" }),
          row("scrapedobjattr", 4, { name: "link", order: 100, obj_class: 2, attr_type: "U", id_field: false, save_to_db: true }),
          row("checker", 2, { scraped_obj_attr: 4, scraper: 1, checker_type: "4", checker_x_path: "", checker_x_path_result: "", checker_ref_url: "", comments: "" }),
        ),
      [{ path: "[12].fields.scraped_obj_attr", message: 'attr pk 4 ("link") belongs to class "Other", not to class "Item" of scraper "items"' }],
    ],
    [
      "an unparsable scheduler conf",
      () => patched(AT.class, { scraper_scheduler_conf: '"MIN_TIME": 15\n"MAX_TIME": 10080,\n' }),
      [
        {
          path: "[0].fields.scraper_scheduler_conf",
          message: `cannot be read as a Python dict body: expected "," after the value of 'MIN_TIME', found '"' (at character 16); the text was "\\"MIN_TIME\\": 15\\n\\"MAX_TIME\\": 10080,\\n"`,
        },
      ],
    ],
    [
      "a scheduler conf missing keys",
      () => patched(AT.class, { checker_scheduler_conf: '"MIN_TIME": 15, "MAX_TIME": 60' }),
      [
        {
          path: "[0].fields.checker_scheduler_conf",
          message:
            "misses INITIAL_NEXT_ACTION_FACTOR, ZERO_ACTIONS_FACTOR_CHANGE and FACTOR_CHANGE_FACTOR (DDS needs all of MIN_TIME, MAX_TIME, INITIAL_NEXT_ACTION_FACTOR, ZERO_ACTIONS_FACTOR_CHANGE, FACTOR_CHANGE_FACTOR)",
        },
      ],
    ],
    [
      "a scheduler conf with a string value",
      () => patched(AT.class, { scraper_scheduler_conf: "'MIN_TIME': '15', 'MAX_TIME': 60, 'INITIAL_NEXT_ACTION_FACTOR': 1, 'ZERO_ACTIONS_FACTOR_CHANGE': 5, 'FACTOR_CHANGE_FACTOR': True" }),
      [
        { path: "[0].fields.scraper_scheduler_conf", message: "MIN_TIME must be a number, got '15'" },
        { path: "[0].fields.scraper_scheduler_conf", message: "FACTOR_CHANGE_FACTOR must be a number, got True" },
      ],
    ],
    [
      "an unparsable proc_ctxt",
      () => patched(AT.titleElem, { processors: "pre_string", proc_ctxt: "'pre_string': 'x" }),
      [{ path: "[8].fields.proc_ctxt", message: `cannot be read as a Python dict body: unterminated string (at character 15); the text was "'pre_string': 'x"` }],
    ],
    ["a None context", () => patched(AT.titleElem, { processors: "pre_string", proc_ctxt: "'pre_string': None" }), [{ path: "[8].fields.proc_ctxt", message: "'pre_string' is None; a processor context must be a string" }]],
    ["headers that are a JSON array", () => patched(AT.mainPage, { headers: '["Referer"]' }), [{ path: "[5].fields.headers", message: 'must be a JSON object like {"name": "value"}, got "[\\"Referer\\"]"' }]],
    ["a duplicate pk", () => withRows({ ...minimal()[AT.checker]! }), [{ path: "[10].pk", message: "duplicate pk 1 for dynamic_scraper.checker (also [6])" }]],
    [
      "two scrapers with one name",
      () => withRows(row("scraper", 2, scraperFields({}))),
      [{ path: "[10].fields.name", message: 'duplicate scraper name "items" (also pk 1 at [4]); dscraper refers to definitions by name, rename one' }],
    ],
    [
      "two attrs of a class with one name",
      () => withRows(row("scrapedobjattr", 4, { name: "title", order: 100, obj_class: 1, attr_type: "T", id_field: false, save_to_db: true })),
      [{ path: "[10].fields.name", message: 'duplicate attr name "title" in class "Item" (also pk 2 at [2]); dscraper refers to definitions by name, rename one' }],
    ],
    [
      "a detail page type without its attr",
      () => withRows(row("requestpagetype", 2, pageTypeFields({ page_type: "DP1" }))),
      [{ path: "[10].fields.scraped_obj_attr", message: "is required for detail page type DP1: the DETAIL_PAGE_URL attr whose URL it requests" }],
    ],
    [
      "fields of the wrong type",
      () => patched(AT.scraper, { name: 7, max_items_read: "10", pagination_on_start: "yes" }),
      [
        { path: "[4].fields.name", message: "must be a string, got 7" },
        { path: "[4].fields.max_items_read", message: 'must be an integer or null, got "10"' },
        { path: "[4].fields.pagination_on_start", message: 'must be true or false, got "yes"' },
      ],
    ],
    ["a class without a name", () => patched(AT.class, { name: "  " }), [{ path: "[0].fields.name", message: "must not be empty" }]],
  ];
  test.each(cases)("%s", (_name, fixture, expected) => {
    expect(issuesOf(fixture())).toEqual(expected);
  });

  test("invalid JSON in a JSON text field names the field and the text", () => {
    const issues = issuesOf(patched(AT.mainPage, { cookies: "{'lang': 'en'}" }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe("[5].fields.cookies");
    expect(issues[0]?.message).toStartWith("is not valid JSON (");
    expect(issues[0]?.message).toEndWith(`): "{'lang': 'en'}"`);
  });

  test("every problem of the fixture is reported at once", () => {
    let rows = patched(AT.title, { attr_type: "Q" });
    rows = patched(AT.urlElem, { proc_ctxt: "oops" }, rows);
    expect(issuesOf(rows).map((i) => i.path)).toEqual(["[2].fields.attr_type", "[9].fields.proc_ctxt"]);
  });

  test("the error is a ValidationError whose message lists the paths", () => {
    expect(() => convertDdsFixture(patched(AT.title, { attr_type: "Q" }))).toThrow('[2].fields.attr_type: unknown code "Q" (expected S, T, B, U or I)');
  });
});
