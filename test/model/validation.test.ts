/**
 * Definition validation, case by case: each case breaks one thing in a valid bundle and names the issue it
 * must produce — the exact bracket path and the reason (SPEC.md §1: "an error that names the path and the
 * reason"). Valid edge cases, several problems in one throw, and references made valid by known definitions
 * are checked at the end.
 */
import { describe, expect, test } from "bun:test";
import { ValidationError, type Issue } from "../../src/errors.ts";
import type { Attr } from "../../src/model/attr.ts";
import { parseBundle, type KnownDefinitions } from "../../src/model/bundle.ts";
import fullFixture from "../fixtures/bundles/full.json";
import minimalFixture from "../fixtures/bundles/minimal.json";

// A draft is plain JSON that the cases break on purpose (wrong types included), hence the loose object type.
type Loose = Record<string, any>;
interface Draft {
  classes: Loose[];
  scrapers: Loose[];
  sources: Loose[];
  [key: string]: unknown;
}

/** A valid bundle: an HTML scraper with one detail page and a JSON scraper, both for one class. */
function baseBundle(): Draft {
  return {
    classes: [
      {
        name: "Quote",
        attrs: [
          { name: "base", attr_type: "B" }, // 0
          { name: "text", attr_type: "S", id_field: true }, // 1
          { name: "author", attr_type: "T" }, // 2
          { name: "tags", attr_type: "S", many: true }, // 3
          { name: "author_url", attr_type: "U" }, // 4
          { name: "born", attr_type: "S" }, // 5
          { name: "image", attr_type: "I" }, // 6
        ],
      },
    ],
    scrapers: [
      {
        name: "quotes",
        class: "Quote",
        page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "author_url" }],
        elems: [
          { attr: "base", x_path: "//div[@class='quote']" }, // 0
          { attr: "text", x_path: "span[@class='text']/text()" }, // 1
          { attr: "author", x_path: "span/small[@class='author']/text()" }, // 2
          { attr: "tags", x_path: "div[@class='tags']/a/text()" }, // 3
          { attr: "author_url", x_path: "span/a/@href" }, // 4
          { attr: "born", x_path: "//span[@class='author-born-date']/text()", page_type: "DP1" }, // 5
          { attr: "image", x_path: "img/@src" }, // 6
        ],
        checkers: [{ attr: "author_url", checker_type: "404" }],
      },
      {
        name: "quotes-api",
        class: "Quote",
        page_types: [{ page_type: "MP", content_type: "JSON" }],
        elems: [
          { attr: "base", x_path: "$.quotes" }, // 0
          { attr: "text", x_path: "$.text" }, // 1
          { attr: "author", x_path: "author.name" }, // 2
          { attr: "author_url", x_path: "$.author.url" }, // 3
        ],
      },
    ],
    sources: [{ name: "quotes", url: "http://127.0.0.1:8080/", scraper: "quotes", urls: ["http://127.0.0.1:8080/tag/love/"] }],
  };
}

const cls = (b: Draft, i = 0): Loose => b.classes[i] ?? fail(`no classes[${i}]`);
const scraper = (b: Draft, i = 0): Loose => b.scrapers[i] ?? fail(`no scrapers[${i}]`);
const attr = (b: Draft, i: number): Loose => cls(b).attrs[i] ?? fail(`no attrs[${i}]`);
const elem = (b: Draft, i: number, s = 0): Loose => scraper(b, s).elems[i] ?? fail(`no elems[${i}]`);
const pageType = (b: Draft, i: number, s = 0): Loose => scraper(b, s).page_types[i] ?? fail(`no page_types[${i}]`);
const checker = (b: Draft, i = 0): Loose => scraper(b).checkers[i] ?? fail(`no checkers[${i}]`);
const source = (b: Draft, i = 0): Loose => b.sources[i] ?? fail(`no sources[${i}]`);

function fail(message: string): never {
  throw new Error(message);
}

const withProcessor = (i: number, name: string, context?: string) => (b: Draft) => {
  elem(b, i).processors = [name];
  if (context !== undefined) elem(b, i).proc_ctxt = { [name]: context };
};

const paginate = (type: "RANGE_FUNCT" | "FREE_LIST", replace: unknown, append = "page/{page}/") => (b: Draft) => {
  Object.assign(scraper(b), { pagination_type: type, pagination_append_str: append, pagination_page_replace: replace });
};

const schedulerConf = (overrides: Record<string, unknown>) => ({
  MIN_TIME: 15,
  MAX_TIME: 10080,
  INITIAL_NEXT_ACTION_FACTOR: 10,
  ZERO_ACTIONS_FACTOR_CHANGE: 20,
  FACTOR_CHANGE_FACTOR: 1.3,
  ...overrides,
});

/** The issues `parseBundle` throws for `input`; fails the test when it does not throw a ValidationError. */
function issuesOf(input: unknown, known?: KnownDefinitions): Issue[] {
  try {
    parseBundle(input, known);
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  throw new Error("parseBundle accepted the bundle");
}

interface InvalidCase {
  name: string;
  mutate: (b: Draft) => void;
  path: string;
  message: string;
}

const invalidCases: InvalidCase[] = [
  // ── classes and attrs ──────────────────────────────────────────────────────────────────────────────────
  {
    name: "two BASE attrs",
    mutate: (b) => cls(b).attrs.push({ name: "base2", attr_type: "B" }),
    path: "classes[0].attrs[7].attr_type",
    message: "needs exactly one BASE (B) attr, found 2",
  },
  {
    name: "no BASE attr",
    mutate: (b) => (attr(b, 0).attr_type = "S"),
    path: "classes[0].attrs",
    message: "needs exactly one BASE (B) attr, found none",
  },
  {
    name: "26 DETAIL_PAGE_URL attrs",
    mutate: (b) => {
      for (let i = 2; i <= 26; i++) cls(b).attrs.push({ name: `url_${i}`, attr_type: "U" });
    },
    path: "classes[0].attrs[31].attr_type",
    message: "at most 25 DETAIL_PAGE_URL (U) attrs are allowed, found 26",
  },
  {
    name: "id_field on the BASE attr",
    mutate: (b) => (attr(b, 0).id_field = true),
    path: "classes[0].attrs[0].id_field",
    message: "id_field is allowed on STANDARD (S) and DETAIL_PAGE_URL (U) attrs only, not on B",
  },
  {
    name: "id_field on a STANDARD_UPDATE attr",
    mutate: (b) => (attr(b, 2).id_field = true),
    path: "classes[0].attrs[2].id_field",
    message: "not on T",
  },
  {
    name: "id_field on an IMAGE attr",
    mutate: (b) => (attr(b, 6).id_field = true),
    path: "classes[0].attrs[6].id_field",
    message: "not on I",
  },
  {
    name: "many on the BASE attr",
    mutate: (b) => (attr(b, 0).many = true),
    path: "classes[0].attrs[0].many",
    message: "many is not allowed on a BASE attr",
  },
  {
    name: "many on a DETAIL_PAGE_URL attr",
    mutate: (b) => (attr(b, 4).many = true),
    path: "classes[0].attrs[4].many",
    message: "many is not allowed on a DETAIL_PAGE_URL attr",
  },
  {
    name: "duplicate attr name",
    mutate: (b) => cls(b).attrs.push({ name: "text", attr_type: "T" }),
    path: "classes[0].attrs[7].name",
    message: 'duplicate attr name "text" (also attrs[1])',
  },
  {
    name: "unknown attr_type",
    mutate: (b) => (attr(b, 5).attr_type = "X"),
    path: "classes[0].attrs[5].attr_type",
    message: 'expected one of "B"|"S"|"T"|"U"|"I"',
  },
  {
    name: "float order",
    mutate: (b) => (attr(b, 1).order = 1.5),
    path: "classes[0].attrs[1].order",
    message: "must be an integer",
  },
  {
    name: "string for a boolean (save_to_db)",
    mutate: (b) => (attr(b, 1).save_to_db = "true"),
    path: "classes[0].attrs[1].save_to_db",
    message: "expected boolean, received string",
  },
  {
    name: "attrs missing",
    mutate: (b) => delete cls(b).attrs,
    path: "classes[0].attrs",
    message: "is required",
  },
  {
    name: "empty attr name",
    mutate: (b) => (attr(b, 5).name = ""),
    path: "classes[0].attrs[5].name",
    message: "must not be empty",
  },

  // ── scheduler configurations ───────────────────────────────────────────────────────────────────────────
  {
    name: "scheduler conf missing a key",
    mutate: (b) => {
      const { FACTOR_CHANGE_FACTOR: _dropped, ...rest } = schedulerConf({});
      cls(b).scraper_scheduler_conf = rest;
    },
    path: "classes[0].scraper_scheduler_conf.FACTOR_CHANGE_FACTOR",
    message: "is required",
  },
  {
    name: "scheduler conf with a negative MIN_TIME",
    mutate: (b) => (cls(b).checker_scheduler_conf = schedulerConf({ MIN_TIME: -5 })),
    path: "classes[0].checker_scheduler_conf.MIN_TIME",
    message: "must be a positive number",
  },
  {
    name: "scheduler conf with a zero factor",
    mutate: (b) => (cls(b).scraper_scheduler_conf = schedulerConf({ ZERO_ACTIONS_FACTOR_CHANGE: 0 })),
    path: "classes[0].scraper_scheduler_conf.ZERO_ACTIONS_FACTOR_CHANGE",
    message: "must be a positive number",
  },
  {
    name: "scheduler conf MIN_TIME > MAX_TIME",
    mutate: (b) => (cls(b).scraper_scheduler_conf = schedulerConf({ MIN_TIME: 600, MAX_TIME: 60 })),
    path: "classes[0].scraper_scheduler_conf.MAX_TIME",
    message: "must not be smaller than MIN_TIME",
  },
  {
    name: "scheduler conf with an extra key",
    mutate: (b) => (cls(b).checker_scheduler_conf = schedulerConf({ MAX_CHECKS: 3 })),
    path: "classes[0].checker_scheduler_conf.MAX_CHECKS",
    message: "unknown field",
  },
  {
    name: "scheduler conf with a string number",
    mutate: (b) => (cls(b).scraper_scheduler_conf = schedulerConf({ MAX_TIME: "10080" })),
    path: "classes[0].scraper_scheduler_conf.MAX_TIME",
    message: "expected number, received string",
  },

  // ── names and references between definitions ─────────────────────────────────────────────────────────
  {
    name: "duplicate class name",
    mutate: (b) => b.classes.push(structuredClone(cls(b))),
    path: "classes[1].name",
    message: 'duplicate class name "Quote" (also classes[0])',
  },
  {
    name: "duplicate scraper name",
    mutate: (b) => (scraper(b, 1).name = "quotes"),
    path: "scrapers[1].name",
    message: 'duplicate scraper name "quotes" (also scrapers[0])',
  },
  {
    name: "duplicate source name",
    mutate: (b) => b.sources.push({ name: "quotes", url: "https://example.com/", scraper: "quotes-api" }),
    path: "sources[1].name",
    message: 'duplicate source name "quotes" (also sources[0])',
  },
  {
    name: "scraper referring to a missing class",
    mutate: (b) => (scraper(b, 1).class = "Author"),
    path: "scrapers[1].class",
    message: 'class "Author" does not exist',
  },
  {
    name: "source referring to a missing scraper",
    mutate: (b) => (source(b).scraper = "authors"),
    path: "sources[0].scraper",
    message: 'scraper "authors" does not exist',
  },
  {
    name: "name with leading whitespace",
    mutate: (b) => (source(b).name = " quotes"),
    path: "sources[0].name",
    message: "must not start or end with whitespace",
  },
  {
    name: "name with trailing whitespace",
    mutate: (b) => (cls(b).name = "Quote\t"),
    path: "classes[0].name",
    message: "must not start or end with whitespace",
  },
  {
    name: "empty name",
    mutate: (b) => (scraper(b, 1).name = ""),
    path: "scrapers[1].name",
    message: "must not be empty",
  },
  {
    name: "name over 200 characters",
    mutate: (b) => (source(b).name = "q".repeat(201)),
    path: "sources[0].name",
    message: "must be at most 200 characters",
  },
  {
    name: "reference written with a leading space",
    mutate: (b) => (scraper(b).class = " Quote"),
    path: "scrapers[0].class",
    message: "must not start or end with whitespace",
  },

  // ── scrapers ────────────────────────────────────────────────────────────────────────────────────────────
  {
    name: "bad status",
    mutate: (b) => (scraper(b).status = "RUNNING"),
    path: "scrapers[0].status",
    message: 'expected one of "ACTIVE"|"MANUAL"|"PAUSED"|"INACTIVE"',
  },
  {
    name: "DDS status letter instead of a name",
    mutate: (b) => (scraper(b).status = "A"),
    path: "scrapers[0].status",
    message: 'expected one of "ACTIVE"|"MANUAL"|"PAUSED"|"INACTIVE"',
  },
  {
    name: "max_items_read 0",
    mutate: (b) => (scraper(b).max_items_read = 0),
    path: "scrapers[0].max_items_read",
    message: "must be positive",
  },
  {
    name: "max_items_read negative",
    mutate: (b) => (scraper(b).max_items_read = -10),
    path: "scrapers[0].max_items_read",
    message: "must be positive",
  },
  {
    name: "max_items_save not an integer",
    mutate: (b) => (scraper(b).max_items_save = 2.5),
    path: "scrapers[0].max_items_save",
    message: "must be an integer",
  },
  {
    name: "max_items_read as a string",
    mutate: (b) => (scraper(b).max_items_read = "100"),
    path: "scrapers[0].max_items_read",
    message: "expected number, received string",
  },
  {
    name: "num_pages_follow negative",
    mutate: (b) => (scraper(b).num_pages_follow = -1),
    path: "scrapers[0].num_pages_follow",
    message: "must not be negative",
  },
  {
    name: 'alert period "2x"',
    mutate: (b) => (scraper(b).last_scraper_save_alert_period = "2x"),
    path: "scrapers[0].last_scraper_save_alert_period",
    message: 'must be a period like "12h", "3d" or "1w" (or empty)',
  },
  {
    name: "alert period with a space",
    mutate: (b) => (scraper(b).last_checker_delete_alert_period = "3 d"),
    path: "scrapers[0].last_checker_delete_alert_period",
    message: "must be a period like",
  },
  {
    name: "unknown pagination_type",
    mutate: (b) => (scraper(b).pagination_type = "R"),
    path: "scrapers[0].pagination_type",
    message: 'expected one of "NONE"|"RANGE_FUNCT"|"FREE_LIST"|"FOLLOW"',
  },
  {
    name: "page_types missing",
    mutate: (b) => delete scraper(b).page_types,
    path: "scrapers[0].page_types",
    message: "is required",
  },

  // ── pagination ──────────────────────────────────────────────────────────────────────────────────────────
  {
    name: "RANGE_FUNCT with 4 integers",
    mutate: paginate("RANGE_FUNCT", "0, 40, 10, 1"),
    path: "scrapers[0].pagination_page_replace",
    message: "RANGE_FUNCT needs 1 to 3 integers like Python range()",
  },
  {
    name: "RANGE_FUNCT with a non-integer",
    mutate: paginate("RANGE_FUNCT", "0, 2.5"),
    path: "scrapers[0].pagination_page_replace",
    message: "RANGE_FUNCT needs 1 to 3 integers",
  },
  {
    name: "RANGE_FUNCT with step 0",
    mutate: paginate("RANGE_FUNCT", "0, 40, 0"),
    path: "scrapers[0].pagination_page_replace",
    message: "RANGE_FUNCT step must not be 0",
  },
  {
    name: "RANGE_FUNCT with a quoted string",
    mutate: paginate("RANGE_FUNCT", "'a', 'b'"),
    path: "scrapers[0].pagination_page_replace",
    message: "RANGE_FUNCT needs 1 to 3 integers",
  },
  {
    name: "RANGE_FUNCT with a bare word",
    mutate: paginate("RANGE_FUNCT", "0, end"),
    path: "scrapers[0].pagination_page_replace",
    message: "unknown name end: text must be quoted ('end')",
  },
  {
    name: "RANGE_FUNCT as a JSON array with a float",
    mutate: paginate("RANGE_FUNCT", [0, 1.5]),
    path: "scrapers[0].pagination_page_replace",
    message: "RANGE_FUNCT needs 1 to 3 integers",
  },
  {
    name: "RANGE_FUNCT left empty",
    mutate: paginate("RANGE_FUNCT", ""),
    path: "scrapers[0].pagination_page_replace",
    message: "RANGE_FUNCT needs 1 to 3 integers",
  },
  {
    name: "RANGE_FUNCT giving no page",
    mutate: paginate("RANGE_FUNCT", "10, 0"),
    path: "scrapers[0].pagination_page_replace",
    message: "gives no page at all",
  },
  {
    name: "RANGE_FUNCT giving too many pages",
    mutate: paginate("RANGE_FUNCT", "0, 1000000"),
    path: "scrapers[0].pagination_page_replace",
    message: "RANGE_FUNCT would make 1000000 pages, more than 100000",
  },
  {
    name: "FREE_LIST with an unterminated quote",
    mutate: paginate("FREE_LIST", "'a-d', 'e-h"),
    path: "scrapers[0].pagination_page_replace",
    message: "unterminated string (at character 8)",
  },
  {
    name: "FREE_LIST with a bare word",
    mutate: paginate("FREE_LIST", "a-d, e-h"),
    path: "scrapers[0].pagination_page_replace",
    message: "unknown name a: text must be quoted ('a')",
  },
  {
    // 'a' 'b' would be one string, 'ab', as in Python; a number after a string needs the comma.
    name: "FREE_LIST with a missing comma",
    mutate: paginate("FREE_LIST", "'a' 5"),
    path: "scrapers[0].pagination_page_replace",
    message: 'expected "," after item 1, found "5" (at character 5)',
  },
  {
    name: "FREE_LIST left empty",
    mutate: paginate("FREE_LIST", []),
    path: "scrapers[0].pagination_page_replace",
    message: "FREE_LIST needs at least one value",
  },
  {
    name: "pagination_page_replace of a wrong type",
    mutate: (b) => (scraper(b).pagination_page_replace = 10),
    path: "scrapers[0].pagination_page_replace",
    message: "Invalid input",
  },
  {
    name: "FOLLOW without follow_pages_url_xpath",
    mutate: (b) => (scraper(b).pagination_type = "FOLLOW"),
    path: "scrapers[0].follow_pages_url_xpath",
    message: "is required for FOLLOW pagination",
  },
  {
    name: "follow_pages_url_xpath that does not compile",
    mutate: (b) => Object.assign(scraper(b), { pagination_type: "FOLLOW", follow_pages_url_xpath: "//li[@class='next']/a/@" }),
    path: "scrapers[0].follow_pages_url_xpath",
    message: "invalid XPath (HTML page): Missing attribute name",
  },
  {
    name: "follow_pages_page_xpath that does not compile",
    mutate: (b) => (scraper(b).follow_pages_page_xpath = "//li[@class='current'"),
    path: "scrapers[0].follow_pages_page_xpath",
    message: "invalid XPath (HTML page): Unclosed predicate expression",
  },
  {
    name: "XPath follow link on a JSON main page",
    mutate: (b) => Object.assign(scraper(b, 1), { pagination_type: "FOLLOW", follow_pages_url_xpath: "//a[@rel='next']/@href" }),
    path: "scrapers[1].follow_pages_url_xpath",
    message: "invalid JSONPath (JSON page)",
  },

  // ── page types ──────────────────────────────────────────────────────────────────────────────────────────
  {
    name: "no MP page type",
    mutate: (b) => scraper(b).page_types.shift(),
    path: "scrapers[0].page_types",
    message: "needs exactly one MP (main page) page type, found none",
  },
  {
    name: "two MP page types",
    mutate: (b) => scraper(b).page_types.push({ page_type: "MP", method: "POST" }),
    path: "scrapers[0].page_types[2].page_type",
    message: "duplicate page type MP (also page_types[0])",
  },
  {
    name: "two DP1 page types",
    mutate: (b) => scraper(b).page_types.push({ page_type: "DP1", attr: "author_url" }),
    path: "scrapers[0].page_types[2].page_type",
    message: "duplicate page type DP1 (also page_types[1])",
  },
  {
    name: "page type DP26",
    mutate: (b) => (pageType(b, 1).page_type = "DP26"),
    path: "scrapers[0].page_types[1].page_type",
    message: "must be MP, FP or DP1 … DP25",
  },
  {
    name: "page type XX",
    mutate: (b) => (pageType(b, 1).page_type = "XX"),
    path: "scrapers[0].page_types[1].page_type",
    message: "must be MP, FP or DP1 … DP25",
  },
  {
    name: "page type DP0",
    mutate: (b) => (pageType(b, 1).page_type = "DP0"),
    path: "scrapers[0].page_types[1].page_type",
    message: "must be MP, FP or DP1 … DP25",
  },
  {
    name: "page type in lower case",
    mutate: (b) => (pageType(b, 1).page_type = "dp1"),
    path: "scrapers[0].page_types[1].page_type",
    message: "must be MP, FP or DP1 … DP25",
  },
  {
    name: "DP page type without attr",
    mutate: (b) => delete pageType(b, 1).attr,
    path: "scrapers[0].page_types[1].attr",
    message: "is required: DP1 must name the DETAIL_PAGE_URL attr whose URL it requests",
  },
  {
    name: "DP page type tied to a STANDARD attr",
    mutate: (b) => (pageType(b, 1).attr = "text"),
    path: "scrapers[0].page_types[1].attr",
    message: 'attr "text" is S, not a DETAIL_PAGE_URL (U) attr',
  },
  {
    name: "elem on a DP page type tied to a non-U attr",
    mutate: (b) => (pageType(b, 1).attr = "image"),
    path: "scrapers[0].elems[5].page_type",
    message: "page type DP1 is not tied to a DETAIL_PAGE_URL (U) attr",
  },
  {
    name: "DP page type tied to a missing attr",
    mutate: (b) => (pageType(b, 1).attr = "author_page"),
    path: "scrapers[0].page_types[1].attr",
    message: 'class "Quote" has no attr "author_page"',
  },
  {
    name: "two DP page types tied to one attr",
    mutate: (b) => scraper(b).page_types.push({ page_type: "DP2", attr: "author_url" }),
    path: "scrapers[0].page_types[2].attr",
    message: 'attr "author_url" already has a detail page type (page_types[1])',
  },
  {
    name: "MP page type with attr",
    mutate: (b) => (pageType(b, 0).attr = "image"),
    path: "scrapers[0].page_types[0].attr",
    message: "is only for detail page types (DP1…DP25), not MP",
  },
  {
    name: "FP page type with attr",
    mutate: (b) => scraper(b).page_types.push({ page_type: "FP", attr: "image" }),
    path: "scrapers[0].page_types[2].attr",
    message: "is only for detail page types (DP1…DP25), not FP",
  },
  {
    name: "a namespace prefix with a colon",
    mutate: (b) => (pageType(b, 0).namespaces = { "a:b": "http://x.test/ns" }),
    path: "scrapers[0].page_types[0].namespaces.a:b",
    message: "must be a namespace prefix: a letter or _ followed by letters, digits, _, - or .",
  },
  {
    name: "a namespace prefix starting with a digit",
    mutate: (b) => (pageType(b, 0).namespaces = { "1ns": "http://x.test/ns" }),
    path: "scrapers[0].page_types[0].namespaces.1ns",
    message: "must be a namespace prefix",
  },
  {
    name: "an empty namespace URI",
    mutate: (b) => (pageType(b, 0).namespaces = { atom: "" }),
    path: "scrapers[0].page_types[0].namespaces.atom",
    message: "must be a namespace URI, not empty",
  },
  {
    name: "the reserved prefix xmlns",
    mutate: (b) => (pageType(b, 0).namespaces = { xmlns: "http://x.test/ns" }),
    path: "scrapers[0].page_types[0].namespaces.xmlns",
    message: "xmlns is reserved by XML and cannot be declared",
  },
  {
    name: "the prefix xml bound elsewhere",
    mutate: (b) => (pageType(b, 0).namespaces = { xml: "http://x.test/ns" }),
    path: "scrapers[0].page_types[0].namespaces.xml",
    message: "xml is bound to http://www.w3.org/XML/1998/namespace",
  },
  {
    name: "two prefixes differing only in case",
    mutate: (b) => (pageType(b, 0).namespaces = { Atom: "http://www.w3.org/2005/Atom", atom: "http://x.test/ns" }),
    path: "scrapers[0].page_types[0].namespaces.atom",
    message: 'clashes with "Atom": prefixes are matched regardless of case',
  },
  {
    name: "namespaces on a JSON page type",
    mutate: (b) => (pageType(b, 0, 1).namespaces = { atom: "http://www.w3.org/2005/Atom" }),
    path: "scrapers[1].page_types[0].namespaces",
    message: "are for XPath on HTML and XML pages, not JSON pages",
  },
  {
    name: "namespaces that are not an object",
    mutate: (b) => (pageType(b, 0).namespaces = ["atom"]),
    path: "scrapers[0].page_types[0].namespaces",
    message: "expected record",
  },
  {
    name: "form request with a body",
    mutate: (b) => Object.assign(pageType(b, 1), { request_type: "form", method: "POST", body: "a=1" }),
    path: "scrapers[0].page_types[1].body",
    message: "must be empty for a form request (its body is form_data)",
  },
  {
    name: "unknown content_type",
    mutate: (b) => (pageType(b, 0).content_type = "CSV"),
    path: "scrapers[0].page_types[0].content_type",
    message: 'expected one of "HTML"|"XML"|"JSON"',
  },
  {
    name: "unknown method",
    mutate: (b) => (pageType(b, 0).method = "PUT"),
    path: "scrapers[0].page_types[0].method",
    message: 'expected one of "GET"|"POST"',
  },
  {
    name: "string for a boolean (dont_filter)",
    mutate: (b) => (pageType(b, 0).dont_filter = "yes"),
    path: "scrapers[0].page_types[0].dont_filter",
    message: "expected boolean, received string",
  },
  {
    name: "header value with a line break",
    mutate: (b) => (pageType(b, 0).headers = { "X-Token": "a\r\nSet-Cookie: x=1" }),
    path: "scrapers[0].page_types[0].headers.X-Token",
    message: "must not contain line breaks",
  },
  {
    name: "form_data value not a string",
    mutate: (b) => (pageType(b, 1).form_data = { page: 2 }),
    path: "scrapers[0].page_types[1].form_data.page",
    message: "expected string, received number",
  },

  // ── elems ───────────────────────────────────────────────────────────────────────────────────────────────
  {
    name: "elem on DP3 when DP3 does not exist",
    mutate: (b) => (elem(b, 5).page_type = "DP3"),
    path: "scrapers[0].elems[5].page_type",
    message: "page type DP3 does not exist in this scraper's page_types",
  },
  {
    name: "elem on FP",
    mutate: (b) => (elem(b, 5).page_type = "FP"),
    path: "scrapers[0].elems[5].page_type",
    message: "must be MP or DP1 … DP25 (follow pages use the MP elems)",
  },
  {
    name: "elem for an attr the class lacks",
    mutate: (b) => scraper(b).elems.push({ attr: "quote_id", x_path: "@data-id" }),
    path: "scrapers[0].elems[7].attr",
    message: 'class "Quote" has no attr "quote_id"',
  },
  {
    name: "two elems for one attr",
    mutate: (b) => scraper(b).elems.push({ attr: "text", x_path: "span/text()" }),
    path: "scrapers[0].elems[7].attr",
    message: 'attr "text" already has an elem (elems[1])',
  },
  {
    name: "BASE elem on a DP page",
    mutate: (b) => (elem(b, 0).page_type = "DP1"),
    path: "scrapers[0].elems[0].page_type",
    message: "the BASE attr's elem must be on the main page (MP)",
  },
  {
    name: "missing BASE elem",
    mutate: (b) => scraper(b, 1).elems.shift(),
    path: "scrapers[1].elems",
    message: 'needs an elem for the BASE attr "base"',
  },
  {
    name: "XPath with an unclosed predicate",
    mutate: (b) => (elem(b, 0).x_path = "//div[@class='quote'"),
    path: "scrapers[0].elems[0].x_path",
    message: "invalid XPath (HTML page): Unclosed predicate expression",
  },
  {
    name: "XPath with a bad token",
    mutate: (b) => (elem(b, 1).x_path = "span/@@class"),
    path: "scrapers[0].elems[1].x_path",
    message: "invalid XPath (HTML page): Bad token: @",
  },
  {
    name: "XPath empty after a union",
    mutate: (b) => (elem(b, 2).x_path = "span/small/text()|"),
    path: "scrapers[0].elems[2].x_path",
    message: "invalid XPath (HTML page): Missing next union location path",
  },
  {
    name: "XPath with an unclosed string",
    mutate: (b) => (elem(b, 3).x_path = "div[@class='tags]/a/text()"),
    path: "scrapers[0].elems[3].x_path",
    message: "invalid XPath (HTML page): Unclosed literal string",
  },
  {
    name: "XPath ending in a slash",
    mutate: (b) => (elem(b, 4).x_path = "span/a/"),
    path: "scrapers[0].elems[4].x_path",
    message: "invalid XPath (HTML page): Missing next location step",
  },
  {
    name: "XPath function with too few arguments",
    mutate: (b) => (elem(b, 1).x_path = "concat(span/text())"),
    path: "scrapers[0].elems[1].x_path",
    message: "invalid XPath (HTML page): Function concat expects at least",
  },
  {
    name: "XPath on a DP page",
    mutate: (b) => (elem(b, 5).x_path = "//span[@class='author-born-date']/text()]"),
    path: "scrapers[0].elems[5].x_path",
    message: "invalid XPath (HTML page): Bad token: ]",
  },
  {
    name: "JSONPath written on an HTML page",
    mutate: (b) => (elem(b, 1).x_path = "$.quotes[*].text"),
    path: "scrapers[0].elems[1].x_path",
    message: "invalid XPath (HTML page)",
  },
  {
    name: "JSONPath that does not parse (unclosed bracket)",
    mutate: (b) => (elem(b, 0, 1).x_path = "$.quotes["),
    path: "scrapers[1].elems[0].x_path",
    message: "invalid JSONPath (JSON page): unclosed '['",
  },
  {
    name: "JSONPath with an empty name",
    mutate: (b) => (elem(b, 1, 1).x_path = "$.text."),
    path: "scrapers[1].elems[1].x_path",
    message: "invalid JSONPath (JSON page): empty name after '.'",
  },
  {
    name: "valid XPath on a JSON page",
    mutate: (b) => (elem(b, 1, 1).x_path = "span[@class='text']/text()"),
    path: "scrapers[1].elems[1].x_path",
    message: "invalid JSONPath (JSON page)",
  },
  {
    name: "XPath on a JSON detail page",
    mutate: (b) => (pageType(b, 1).content_type = "JSON"),
    path: "scrapers[0].elems[5].x_path",
    message: "invalid JSONPath (JSON page)",
  },
  {
    name: "empty x_path without static",
    mutate: (b) => (elem(b, 2).x_path = ""),
    path: "scrapers[0].elems[2].x_path",
    message: "is required unless the static processor gives the value",
  },
  {
    name: "regex that does not compile (unclosed group)",
    mutate: (b) => (elem(b, 1).reg_exp = "(?P<extract>\\d+"),
    path: "scrapers[0].elems[1].reg_exp",
    message: "invalid regular expression",
  },
  {
    name: "regex that does not compile (unclosed class)",
    mutate: (b) => (elem(b, 1).reg_exp = "[a-z"),
    path: "scrapers[0].elems[1].reg_exp",
    message: "invalid regular expression",
  },
  {
    name: "unknown processor",
    mutate: withProcessor(1, "strip"),
    path: "scrapers[0].elems[1].processors[0]",
    message: 'unknown processor "strip"',
  },
  {
    name: "unknown processor after a known one",
    mutate: (b) => (elem(b, 1).processors = ["string_strip", "Date"]),
    path: "scrapers[0].elems[1].processors[1]",
    message: 'unknown processor "Date"',
  },
  {
    name: "context for an unknown processor",
    mutate: (b) => (elem(b, 1).proc_ctxt = { pre_ur: "https://example.com/" }),
    path: "scrapers[0].elems[1].proc_ctxt.pre_ur",
    message: 'unknown processor "pre_ur"',
  },
  {
    name: "substr_replace without an unescaped colon",
    mutate: withProcessor(2, "substr_replace", "a\\:b"),
    path: "scrapers[0].elems[2].proc_ctxt.substr_replace",
    message: 'substr_replace context must be "old:new" with an unescaped ":"',
  },
  {
    name: "substr_replace with an empty old text",
    mutate: withProcessor(2, "substr_replace", ":b"),
    path: "scrapers[0].elems[2].proc_ctxt.substr_replace",
    message: "non-empty old text",
  },
  {
    name: "date with an unknown directive",
    mutate: withProcessor(5, "date", "%d %Q %Y"),
    path: "scrapers[0].elems[5].proc_ctxt.date",
    message: 'unknown directive "%Q"',
  },
  {
    name: "date format with a lone %",
    mutate: withProcessor(5, "date", "%d.%m.%Y %"),
    path: "scrapers[0].elems[5].proc_ctxt.date",
    message: 'lone "%"',
  },
  {
    name: "date without a context",
    mutate: withProcessor(5, "date"),
    path: "scrapers[0].elems[5].proc_ctxt.date",
    message: "date needs a context",
  },
  {
    name: "time using a directive twice",
    mutate: withProcessor(5, "time", "%H:%M %H"),
    path: "scrapers[0].elems[5].proc_ctxt.time",
    message: "uses %H twice",
  },
  {
    name: "duration with a date directive",
    mutate: withProcessor(5, "duration", "%d"),
    path: "scrapers[0].elems[5].proc_ctxt.duration",
    message: "may only use %H, %M and %S",
  },
  {
    name: "static without a context",
    mutate: (b) => Object.assign(elem(b, 2), { x_path: "", processors: ["static"] }),
    path: "scrapers[0].elems[2].proc_ctxt.static",
    message: "static needs a context: the value itself",
  },
  {
    name: "static with an empty context",
    mutate: (b) => Object.assign(elem(b, 2), { x_path: "", processors: ["static"], proc_ctxt: { static: "" } }),
    path: "scrapers[0].elems[2].proc_ctxt.static",
    message: "static needs a context",
  },
  {
    name: "ts_to_date with a context",
    mutate: withProcessor(5, "ts_to_date", "%Y-%m-%d"),
    path: "scrapers[0].elems[5].proc_ctxt.ts_to_date",
    message: "ts_to_date takes no context",
  },
  {
    name: "remove_chars with a bad regex",
    mutate: withProcessor(3, "remove_chars", "[#"),
    path: "scrapers[0].elems[3].proc_ctxt.remove_chars",
    message: "remove_chars context is not a valid regular expression",
  },
  {
    name: "pre_string without a context",
    mutate: withProcessor(3, "pre_string"),
    path: "scrapers[0].elems[3].proc_ctxt.pre_string",
    message: "pre_string needs a context",
  },
  {
    name: "context that is not a string",
    mutate: (b) => Object.assign(elem(b, 3), { processors: ["join"], proc_ctxt: { join: 1 } }),
    path: "scrapers[0].elems[3].proc_ctxt.join",
    message: "expected string, received number",
  },
  {
    name: "processors as a DDS comma list",
    mutate: (b) => (elem(b, 3).processors = "join, string_strip"),
    path: "scrapers[0].elems[3].processors",
    message: "expected array, received string",
  },
  {
    name: "string for a boolean (mandatory)",
    mutate: (b) => (elem(b, 3).mandatory = "false"),
    path: "scrapers[0].elems[3].mandatory",
    message: "expected boolean, received string",
  },

  // ── checkers ────────────────────────────────────────────────────────────────────────────────────────────
  {
    name: "404_OR_X_PATH checker without x_path",
    mutate: (b) => (checker(b).checker_type = "404_OR_X_PATH"),
    path: "scrapers[0].checkers[0].checker_x_path",
    message: "is required for a 404_OR_X_PATH checker",
  },
  {
    name: "checker on a non-U attr",
    mutate: (b) => (checker(b).attr = "text"),
    path: "scrapers[0].checkers[0].attr",
    message: 'attr "text" is S, not a DETAIL_PAGE_URL (U) attr',
  },
  {
    name: "checker on a missing attr",
    mutate: (b) => (checker(b).attr = "url"),
    path: "scrapers[0].checkers[0].attr",
    message: 'class "Quote" has no attr "url"',
  },
  {
    name: "checker_ref_url not a URL",
    mutate: (b) => (checker(b).checker_ref_url = "/author/nobody/"),
    path: "scrapers[0].checkers[0].checker_ref_url",
    message: "must be an absolute http(s) URL",
  },
  {
    name: "checker XPath that does not compile",
    mutate: (b) => Object.assign(checker(b), { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='error'" }),
    path: "scrapers[0].checkers[0].checker_x_path",
    message: "invalid XPath (HTML page): Unclosed predicate expression",
  },
  {
    name: "checker XPath on a JSON detail page",
    mutate: (b) => {
      pageType(b, 1).content_type = "JSON";
      elem(b, 5).x_path = "$.born";
      Object.assign(checker(b), { checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='error']" });
    },
    path: "scrapers[0].checkers[0].checker_x_path",
    message: "invalid JSONPath (JSON page)",
  },
  {
    name: "DDS checker type letter",
    mutate: (b) => (checker(b).checker_type = "X"),
    path: "scrapers[0].checkers[0].checker_type",
    message: 'expected one of "404"|"404_OR_X_PATH"',
  },

  // ── sources ─────────────────────────────────────────────────────────────────────────────────────────────
  {
    name: "source url ftp://",
    mutate: (b) => (source(b).url = "ftp://127.0.0.1/quotes/"),
    path: "sources[0].url",
    message: "must be an absolute http(s) URL",
  },
  {
    name: "source url not a URL",
    mutate: (b) => (source(b).url = "quotes.toscrape.com"),
    path: "sources[0].url",
    message: "must be an absolute http(s) URL",
  },
  {
    name: "source extra url not a URL",
    mutate: (b) => source(b).urls.push("/tag/life/"),
    path: "sources[0].urls[1]",
    message: "must be an absolute http(s) URL",
  },
  {
    name: "source url missing",
    mutate: (b) => delete source(b).url,
    path: "sources[0].url",
    message: "is required",
  },
  {
    name: "string for a boolean (active)",
    mutate: (b) => (source(b).active = 1),
    path: "sources[0].active",
    message: "expected boolean, received number",
  },

  // ── unknown fields: the path ends with the field's name ─────────────────────────────────────────────────
  { name: "unknown top-level field", mutate: (b) => (b.version = 2), path: "version", message: "unknown field" },
  { name: "unknown class field", mutate: (b) => (cls(b).colour = "red"), path: "classes[0].colour", message: "unknown field" },
  { name: "unknown attr field", mutate: (b) => (attr(b, 1).type = "S"), path: "classes[0].attrs[1].type", message: "unknown field" },
  { name: "unknown scraper field", mutate: (b) => (scraper(b).class_id = 1), path: "scrapers[0].class_id", message: "unknown field" },
  {
    name: "unknown page type field",
    mutate: (b) => (pageType(b, 1).url = "http://x.test/"),
    path: "scrapers[0].page_types[1].url",
    message: "unknown field",
  },
  { name: "unknown elem field", mutate: (b) => (elem(b, 1).xpath = "//p"), path: "scrapers[0].elems[1].xpath", message: "unknown field" },
  {
    name: "unknown checker field",
    mutate: (b) => (checker(b).x_path = "//p"),
    path: "scrapers[0].checkers[0].x_path",
    message: "unknown field",
  },
  { name: "unknown source field", mutate: (b) => (source(b).scraper_id = 1), path: "sources[0].scraper_id", message: "unknown field" },
];

describe("an invalid bundle names the path and the reason", () => {
  test("the base bundle is valid", () => {
    expect(() => parseBundle(baseBundle())).not.toThrow();
  });

  test.each(invalidCases)("$name", ({ mutate, path, message }) => {
    const bundle = baseBundle();
    mutate(bundle);
    const issues = issuesOf(bundle);
    expect(issues).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  test("the table has no duplicate case names", () => {
    const names = invalidCases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("input that is not a bundle", () => {
  test.each([
    { name: "null", input: null, message: "expected object, received null" },
    { name: "an array", input: [], message: "expected object, received array" },
    { name: "a string", input: "classes: []", message: "expected object, received string" },
  ])("$name", ({ input, message }) => {
    expect(issuesOf(input)).toEqual([{ path: "", message: expect.stringContaining(message) }]);
  });

  test("classes as an object", () => {
    expect(issuesOf({ classes: {} })).toEqual([{ path: "classes", message: "Invalid input: expected array, received object" }]);
  });
});

describe("several problems are reported together", () => {
  test("one throw lists every shape problem, in bundle order", () => {
    const b = baseBundle();
    attr(b, 1).order = "1";
    cls(b).scraper_scheduler_conf = schedulerConf({ MIN_TIME: 0 });
    elem(b, 1).x_path = "span[";
    elem(b, 2).processors = ["nope"];
    elem(b, 3).reg_exp = "(";
    scraper(b, 1).status = "ON";
    source(b).url = "ftp://x/";
    source(b).extra = true;
    expect(issuesOf(b)).toEqual([
      { path: "classes[0].scraper_scheduler_conf.MIN_TIME", message: "must be a positive number" },
      { path: "classes[0].attrs[1].order", message: "Invalid input: expected number, received string" },
      { path: "scrapers[0].elems[1].x_path", message: expect.stringContaining("invalid XPath (HTML page)") },
      { path: "scrapers[0].elems[2].processors[0]", message: 'unknown processor "nope"' },
      { path: "scrapers[0].elems[3].reg_exp", message: expect.stringContaining("invalid regular expression") },
      { path: "scrapers[1].status", message: expect.stringContaining("Invalid option") },
      { path: "sources[0].url", message: "must be an absolute http(s) URL" },
      { path: "sources[0].extra", message: "unknown field" },
    ]);
  });

  test("one throw lists every reference problem", () => {
    const b = baseBundle();
    scraper(b, 1).class = "Author";
    scraper(b).elems.push({ attr: "quote_id", x_path: "@id" });
    checker(b).attr = "born";
    b.sources.push({ name: "quotes", url: "https://example.com/", scraper: "gone" });
    expect(issuesOf(b)).toEqual([
      { path: "sources[1].name", message: 'duplicate source name "quotes" (also sources[0])' },
      { path: "scrapers[0].elems[7].attr", message: 'class "Quote" has no attr "quote_id"' },
      { path: "scrapers[0].checkers[0].attr", message: 'attr "born" is S, not a DETAIL_PAGE_URL (U) attr' },
      { path: "scrapers[1].class", message: 'class "Author" does not exist' },
      { path: "sources[1].scraper", message: 'scraper "gone" does not exist' },
    ]);
  });

  test("the thrown error is a ValidationError whose message lists every path", () => {
    const b = baseBundle();
    scraper(b).status = "ON";
    source(b).url = "x";
    let error: unknown;
    try {
      parseBundle(b);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe("invalid_input");
    expect((error as ValidationError).message).toContain("scrapers[0].status: ");
    expect((error as ValidationError).message).toContain("sources[0].url: must be an absolute http(s) URL");
  });
});

describe("references made valid by known definitions", () => {
  const knownAttrs: Attr[] = [
    { name: "base", order: 100, attr_type: "B", id_field: false, save_to_db: true, many: false },
    { name: "name", order: 100, attr_type: "S", id_field: true, save_to_db: true, many: false },
    { name: "profile", order: 100, attr_type: "U", id_field: false, save_to_db: true, many: false },
  ];
  const known: KnownDefinitions = {
    classAttrs: (name) => (name === "Author" ? knownAttrs : undefined),
    hasScraper: (name) => name === "authors",
  };
  /** A bundle holding only a scraper of the known class "Author" and a source of the known scraper "authors". */
  const authorsBundle = (): Draft => ({
    classes: [],
    scrapers: [
      {
        name: "authors-v2",
        class: "Author",
        page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "profile" }],
        elems: [
          { attr: "base", x_path: "//div[@class='author']" },
          { attr: "name", x_path: "h3/text()" },
          { attr: "profile", x_path: "a/@href" },
        ],
        checkers: [{ attr: "profile" }],
      },
    ],
    sources: [{ name: "authors", url: "https://example.com/authors/", scraper: "authors" }],
  });

  test("a scraper of a known class and a source of a known scraper are valid", () => {
    const parsed = parseBundle(authorsBundle(), known);
    expect(parsed.scrapers[0]?.class).toBe("Author");
    expect(parsed.sources[0]?.scraper).toBe("authors");
  });

  test.each<InvalidCase>([
    { name: "the same bundle without known definitions", mutate: () => {}, path: "scrapers[0].class", message: 'class "Author" does not exist' },
    {
      name: "a known source scraper unknown without them",
      mutate: () => {},
      path: "sources[0].scraper",
      message: 'scraper "authors" does not exist',
    },
  ])("$name", ({ mutate, path, message }) => {
    const b = authorsBundle();
    mutate(b);
    expect(issuesOf(b)).toContainEqual({ path, message });
  });

  test.each<InvalidCase>([
    {
      name: "elem for an attr the known class lacks",
      mutate: (b) => scraper(b).elems.push({ attr: "born", x_path: "span/text()" }),
      path: "scrapers[0].elems[3].attr",
      message: 'class "Author" has no attr "born"',
    },
    {
      name: "DP page type tied to a known non-U attr",
      mutate: (b) => (pageType(b, 1).attr = "name"),
      path: "scrapers[0].page_types[1].attr",
      message: 'attr "name" is S, not a DETAIL_PAGE_URL (U) attr',
    },
    {
      name: "checker on a known non-U attr",
      mutate: (b) => (checker(b).attr = "base"),
      path: "scrapers[0].checkers[0].attr",
      message: 'attr "base" is B, not a DETAIL_PAGE_URL (U) attr',
    },
    {
      name: "missing BASE elem of a known class",
      mutate: (b) => scraper(b).elems.shift(),
      path: "scrapers[0].elems",
      message: 'needs an elem for the BASE attr "base"',
    },
    {
      name: "source of a scraper neither known nor in the bundle",
      mutate: (b) => (source(b).scraper = "authors-v3"),
      path: "sources[0].scraper",
      message: 'scraper "authors-v3" does not exist',
    },
  ])("with known definitions: $name", ({ mutate, path, message }) => {
    const b = authorsBundle();
    mutate(b);
    expect(issuesOf(b, known)).toContainEqual({ path, message });
  });

  test("a class in the bundle takes precedence over a known class of the same name", () => {
    const b = authorsBundle();
    b.classes.push({ name: "Author", attrs: [{ name: "base", attr_type: "B" }] });
    expect(issuesOf(b, known)).toEqual([
      { path: "scrapers[0].elems[1].attr", message: 'class "Author" has no attr "name"' },
      { path: "scrapers[0].elems[2].attr", message: 'class "Author" has no attr "profile"' },
      { path: "scrapers[0].page_types[1].attr", message: 'class "Author" has no attr "profile"' },
      { path: "scrapers[0].checkers[0].attr", message: 'class "Author" has no attr "profile"' },
    ]);
  });
});

interface ValidCase {
  name: string;
  mutate: (b: Draft) => void;
}

const validCases: ValidCase[] = [
  {
    name: "25 DETAIL_PAGE_URL attrs exactly, the last one on DP25",
    mutate: (b) => {
      for (let i = 2; i <= 25; i++) cls(b).attrs.push({ name: `url_${i}`, attr_type: "U" });
      scraper(b).page_types.push({ page_type: "DP25", attr: "url_25" });
      scraper(b).elems.push({ attr: "url_25", x_path: "a[25]/@href" });
    },
  },
  { name: "JSON scraper with `$` as base path (root array)", mutate: (b) => (elem(b, 0, 1).x_path = "$") },
  { name: "JSON elems written DDS-style (bare) and $-rooted", mutate: (b) => (elem(b, 1, 1).x_path = "quote.text[0]") },
  { name: "JSONPath with a filter", mutate: (b) => (elem(b, 0, 1).x_path = "$.quotes[?(@.lang == 'en')]") },
  { name: "XPath that is not valid JSONPath, on an HTML page", mutate: (b) => (elem(b, 1).x_path = "span[@class='text']/text()") },
  { name: "XPath with a union", mutate: (b) => (elem(b, 2).x_path = "span/small/text() | span/b/text()") },
  { name: "XPath on an XML page", mutate: (b) => (pageType(b, 1).content_type = "XML") },
  {
    name: "XML page types with namespaces, and XPaths with prefixes (declared by the page or the page type)",
    mutate: (b) => {
      Object.assign(pageType(b, 0), { content_type: "XML", namespaces: { atom: "http://www.w3.org/2005/Atom", _x1: "urn:x", "é.b-c": "urn:y" } });
      elem(b, 0).x_path = "//atom:entry";
      elem(b, 1).x_path = "dc:creator/text() | atom:title/text()";
      elem(b, 2).x_path = "*[local-name()='author' and namespace-uri()='http://www.w3.org/2005/Atom']/atom:name/text()";
    },
  },
  { name: "Python-style named group (?P<extract>…)", mutate: (b) => (elem(b, 1).reg_exp = "^“(?P<extract>.*)”$") },
  { name: "Python-style back reference (?P=name)", mutate: (b) => (elem(b, 1).reg_exp = "(?P<q>['\"])(?P<extract>.*?)(?P=q)") },
  { name: "static with an empty x_path", mutate: (b) => Object.assign(elem(b, 2), { x_path: "", processors: ["static"], proc_ctxt: { static: "Anonymous" } }) },
  { name: "substr_replace with escaped colons", mutate: withProcessor(2, "substr_replace", "by\\: :") },
  { name: "substr_replace with an empty new text", mutate: withProcessor(2, "substr_replace", "Anonymous:") },
  { name: "pre_url with a {placeholder}", mutate: withProcessor(4, "pre_url", "https://example.com/{lang}/") },
  { name: "pre_url with a bare scheme (DDS's docs: 'pre_url': 'http:')", mutate: withProcessor(4, "pre_url", "http:") },
  { name: "pre_url with a context that is no URL (prefixed, as DDS does)", mutate: withProcessor(4, "pre_url", "127.0.0.1:8080") },
  { name: "date with a month-name format", mutate: withProcessor(5, "date", "%B %d, %Y") },
  { name: "join and string_strip without contexts", mutate: (b) => (elem(b, 3).processors = ["join", "string_strip"]) },
  { name: "a context for a default processor", mutate: (b) => (elem(b, 1).proc_ctxt = { string_strip: " “”" }) },
  { name: "ts_to_time without a context", mutate: withProcessor(5, "ts_to_time") },
  { name: "RANGE_FUNCT with one integer", mutate: paginate("RANGE_FUNCT", "5") },
  { name: "RANGE_FUNCT counting down", mutate: paginate("RANGE_FUNCT", "40, 0, -10") },
  { name: "RANGE_FUNCT as a JSON array", mutate: paginate("RANGE_FUNCT", [0, 40, 10]) },
  { name: "RANGE_FUNCT with a trailing comma", mutate: paginate("RANGE_FUNCT", "0, 40,") },
  {
    name: "RANGE_FUNCT that also follows next links",
    mutate: (b) => {
      paginate("RANGE_FUNCT", "1, 3")(b);
      scraper(b).follow_pages_url_xpath = "//li[@class='next']/a/@href";
    },
  },
  { name: "FREE_LIST with single and double quotes and an escape", mutate: paginate("FREE_LIST", "'a-d', \"e\\\"h\", 3") },
  { name: "FREE_LIST as a JSON array", mutate: paginate("FREE_LIST", ["a-d", "e-h"]) },
  {
    name: "FOLLOW with an FP page type and num_pages_follow 0",
    mutate: (b) => {
      Object.assign(scraper(b), { pagination_type: "FOLLOW", follow_pages_url_xpath: "//li[@class='next']/a/@href", num_pages_follow: 0 });
      scraper(b).page_types.push({ page_type: "FP", dont_filter: true });
    },
  },
  { name: "FOLLOW on a JSON page with a JSONPath link", mutate: (b) => Object.assign(scraper(b, 1), { pagination_type: "FOLLOW", follow_pages_url_xpath: "$.next" }) },
  { name: "404 checker without x_path and an empty ref URL", mutate: (b) => (checker(b).checker_ref_url = "") },
  { name: "checker JSONPath on a JSON detail page", mutate: (b) => {
      pageType(b, 1).content_type = "JSON";
      elem(b, 5).x_path = "$.born";
      Object.assign(checker(b), { checker_type: "404_OR_X_PATH", checker_x_path: "$.error" });
    } },
  { name: "several checkers on one attr", mutate: (b) => scraper(b).checkers.push({ attr: "author_url", checker_type: "404_OR_X_PATH", checker_x_path: "//h1[.='Gone']" }) },
  { name: "id_field on a U attr", mutate: (b) => (attr(b, 4).id_field = true) },
  { name: "many on S, T and I attrs", mutate: (b) => [2, 3, 6].forEach((i) => (attr(b, i).many = true)) },
  { name: "several IMAGE attrs", mutate: (b) => cls(b).attrs.push({ name: "thumbnail", attr_type: "I" }) },
  { name: "header and cookie names with token symbols", mutate: (b) => Object.assign(pageType(b, 0), { headers: { "X-Api_Key.v2!": "k" }, cookies: { "__Host-sid": "1" } }) },
  { name: "RANGE_FUNCT with an append string without {page} (DDS allows it)", mutate: paginate("RANGE_FUNCT", "0, 40, 10", "page/") },
  {
    name: "FREE_LIST with an empty append string and {page} only in the POST form data (DDS allows it)",
    mutate: (b) => {
      paginate("FREE_LIST", "'a-d', 'e-h'", "")(b);
      Object.assign(pageType(b, 0), { request_type: "form", method: "POST", form_data: { letters: "{page}" } });
    },
  },
  { name: "form request with form_data", mutate: (b) => Object.assign(pageType(b, 1), { request_type: "form", method: "POST", form_data: { q: "{page}" } }) },
  { name: "names with inner spaces and non-ASCII", mutate: (b) => (source(b).name = "Zitate – Seite 1") },
  { name: "alert periods in hours, days and weeks", mutate: (b) => Object.assign(scraper(b), { last_scraper_save_alert_period: "36h", last_checker_delete_alert_period: "2w" }) },
  { name: "https source with several extra urls", mutate: (b) => Object.assign(source(b), { url: "https://quotes.toscrape.com/", urls: ["https://a.test/", "http://b.test/x?y=1"] }) },
  { name: "MIN_TIME equal to MAX_TIME", mutate: (b) => (cls(b).scraper_scheduler_conf = schedulerConf({ MIN_TIME: 60, MAX_TIME: 60 })) },
  { name: "an empty bundle", mutate: (b) => ((b.classes = []), (b.scrapers = []), (b.sources = [])) },
];

describe("valid edge cases pass", () => {
  test.each(validCases)("$name", ({ mutate }) => {
    const bundle = baseBundle();
    mutate(bundle);
    expect(() => parseBundle(bundle)).not.toThrow();
  });

  test("the full fixture", () => {
    expect(parseBundle(fullFixture)).toEqual(fullFixture as never);
  });

  test("the minimal fixture", () => {
    expect(parseBundle(minimalFixture).sources[0]?.scraper).toBe("articles");
  });

  test("an object with no keys at all", () => {
    expect(parseBundle({})).toEqual({ classes: [], scrapers: [], sources: [] });
  });
});

// Bugs the first version of the model had, each pinned by the case that found it.
describe("fixed model bugs", () => {
  test("a header name with a space is rejected at its own path (whatever the message)", () => {
    const b = baseBundle();
    pageType(b, 0).headers = { "Accept Language": "en" };
    expect(issuesOf(b).map((i) => i.path)).toEqual(["scrapers[0].page_types[0].headers.Accept Language"]);
  });

  test("a header name with a space is reported with the header rule's own message", () => {
    const b = baseBundle();
    pageType(b, 0).headers = { "Accept Language": "en" };
    expect(issuesOf(b)).toContainEqual({
      path: "scrapers[0].page_types[0].headers.Accept Language",
      message: "must be a valid HTTP header name",
    });
  });

  test("a cookie name with a ';' is reported with the cookie rule's own message", () => {
    const b = baseBundle();
    pageType(b, 0).cookies = { "a;b": "1" };
    expect(issuesOf(b)).toContainEqual({
      path: "scrapers[0].page_types[0].cookies.a;b",
      message: expect.stringContaining("must be a cookie name"),
    });
  });

  test("an XPath calling an unknown function names the function, not an engine error", () => {
    const b = baseBundle();
    elem(b, 1).x_path = "upper-case(span/text())";
    expect(issuesOf(b)).toContainEqual({ path: "scrapers[0].elems[1].x_path", message: expect.stringContaining("upper-case") });
  });

  test("an attr on MP is blamed on MP only, not on the DP page type that rightly holds it", () => {
    const b = baseBundle();
    pageType(b, 0).attr = "author_url";
    expect(issuesOf(b).filter((i) => i.path === "scrapers[0].page_types[1].attr")).toEqual([]);
  });

  test("a missing attr_type says it is required, like every other missing field", () => {
    const b = baseBundle();
    delete attr(b, 5).attr_type;
    expect(issuesOf(b)).toContainEqual({ path: "classes[0].attrs[5].attr_type", message: "is required" });
  });

  test("a context-less processor is reported at proc_ctxt.<name> without repeating the name", () => {
    const b = baseBundle();
    withProcessor(5, "date")(b);
    expect(issuesOf(b)).toContainEqual({ path: "scrapers[0].elems[5].proc_ctxt.date", message: expect.stringMatching(/^date needs a context/) });
  });
});

// Rules added after the first review of the model: definitions that could never work as written.
describe("definitions that could never run are refused", () => {
  const cases: { name: string; mutate: (b: Draft) => void; path: string; message: string }[] = [
    {
      name: "a static value for the BASE attr",
      mutate: (b) => Object.assign(elem(b, 0), { x_path: "", processors: ["static"], proc_ctxt: { static: "x" } }),
      path: "scrapers[0].elems[0].x_path",
      message: "the BASE attr's elem needs a path selecting one node per item",
    },
    {
      name: "a detail page URL read on its own detail page",
      mutate: (b) => (elem(b, 4).page_type = "DP1"),
      path: "scrapers[0].elems[4].page_type",
      message: 'the URL of DP1 ("author_url") must be read on the main page (MP)',
    },
    {
      name: "a detail page type whose URL attr has no elem",
      mutate: (b) => scraper(b).elems.splice(4, 1),
      path: "scrapers[0].page_types[1].attr",
      message: 'attr "author_url" has no elem, so DP1 would never be requested',
    },
    {
      name: "an id_field attr without an elem",
      mutate: (b) => scraper(b).elems.splice(1, 1),
      path: "scrapers[0].elems",
      message: 'id_field attr "text" has no elem, so items could not be told apart',
    },
    {
      name: "a follow page type of another content type than MP",
      mutate: (b) => scraper(b).page_types.push({ page_type: "FP", content_type: "JSON" }),
      path: "scrapers[0].page_types[2].content_type",
      message: "must be HTML like MP: follow pages are read with the MP elems",
    },
    {
      name: "an attr name that cannot be a {placeholder}",
      mutate: (b) => (attr(b, 5).name = "born date"),
      path: "classes[0].attrs[5].name",
      message: "must start with a letter or _ and hold only letters, digits, _ and -",
    },
    {
      name: "Python's verbose regex flag",
      mutate: (b) => (elem(b, 1).reg_exp = "(?x) a b"),
      path: "scrapers[0].elems[1].reg_exp",
      message: "Python's inline flag (?x) has no JavaScript equivalent",
    },
    {
      name: "an XPath pasted onto a JSON page",
      mutate: (b) => (elem(b, 1, 1).x_path = "//a/@href"),
      path: "scrapers[1].elems[1].x_path",
      message: "invalid JSONPath (JSON page)",
    },
  ];
  test.each(cases)("$name", ({ mutate, path, message }) => {
    const bundle = baseBundle();
    mutate(bundle);
    expect(issuesOf(bundle)).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  test("Python's leading inline flags are accepted and applied", () => {
    const bundle = baseBundle();
    elem(bundle, 1).reg_exp = "(?i)(?P<extract>QUOTE.*)";
    expect(parseBundle(bundle).scrapers[0]!.elems[1]!.reg_exp).toBe("(?i)(?P<extract>QUOTE.*)");
  });
});
