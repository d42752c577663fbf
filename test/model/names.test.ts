/**
 * Which characters each name-like field allows (SPEC.md §1): names and the references to them refuse controls,
 * line and paragraph separators, bidi controls and lone surrogates, with the path and the character; URLs and
 * cookie names refuse controls; free text (comments, contexts, expressions, bodies) takes anything JSON holds,
 * since it is stored inside JSON. Every field × every character, as a table.
 */
import { describe, expect, test } from "bun:test";
import { ValidationError, type Issue } from "../../src/errors.ts";
import { parseBundle } from "../../src/model/bundle.ts";

// Plain JSON broken on purpose, hence the loose type.
type Loose = Record<string, any>;

function bundle(): Loose {
  return {
    classes: [{ name: "Quote", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }, { name: "url", attr_type: "U" }] }],
    scrapers: [
      {
        name: "quotes",
        class: "Quote",
        page_types: [{ page_type: "MP", cookies: { session: "1" } }, { page_type: "DP1", attr: "url" }],
        elems: [
          { attr: "base", x_path: "//div" },
          { attr: "text", x_path: "p/text()" },
          { attr: "url", x_path: "a/@href" },
        ],
        checkers: [{ attr: "url" }],
      },
    ],
    sources: [{ name: "site", url: "http://127.0.0.1:1/", scraper: "quotes" }],
  };
}

function issuesOf(input: unknown): Issue[] {
  try {
    parseBundle(input);
    return [];
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
}

/** A name-like field: where it is, and how to put `text` into it (a reference keeps pointing at a real name). */
interface Field {
  path: string;
  put(b: Loose, text: string): void;
}

const NAME_FIELDS: Field[] = [
  { path: "classes[0].name", put: (b, t) => ((b.classes[0].name = t), (b.scrapers[0].class = t)) },
  { path: "scrapers[0].name", put: (b, t) => ((b.scrapers[0].name = t), (b.sources[0].scraper = t)) },
  { path: "scrapers[0].class", put: (b, t) => (b.scrapers[0].class = t) },
  { path: "sources[0].name", put: (b, t) => (b.sources[0].name = t) },
  { path: "sources[0].scraper", put: (b, t) => (b.sources[0].scraper = t) },
  { path: "scrapers[0].elems[1].attr", put: (b, t) => (b.scrapers[0].elems[1].attr = t) },
  { path: "scrapers[0].page_types[1].attr", put: (b, t) => (b.scrapers[0].page_types[1].attr = t) },
  { path: "scrapers[0].checkers[0].attr", put: (b, t) => (b.scrapers[0].checkers[0].attr = t) },
];

/** Characters names refuse, with how the message names them. */
const REFUSED: [string, string][] = [
  ["\u0000", "U+0000 (NUL)"],
  ["\u0001", "U+0001"],
  ["\t", "U+0009 (tab)"],
  ["\n", "U+000A (line feed)"],
  ["\r", "U+000D (carriage return)"],
  ["\u001b", "U+001B (escape)"],
  ["\u007f", "U+007F (DEL)"],
  ["\u0085", "U+0085 (next line)"],
  ["\u009f", "U+009F"],
  ["\u2028", "U+2028 (line separator)"],
  ["\u2029", "U+2029 (paragraph separator)"],
  ["\u061c", "U+061C (Arabic letter mark)"],
  ["\u200e", "U+200E (left-to-right mark)"],
  ["\u200f", "U+200F (right-to-left mark)"],
  ["\u202a", "U+202A (left-to-right embedding)"],
  ["\u202b", "U+202B (right-to-left embedding)"],
  ["\u202c", "U+202C (pop directional formatting)"],
  ["\u202d", "U+202D (left-to-right override)"],
  ["\u202e", "U+202E (right-to-left override)"],
  ["\u2066", "U+2066 (left-to-right isolate)"],
  ["\u2067", "U+2067 (right-to-left isolate)"],
  ["\u2068", "U+2068 (first strong isolate)"],
  ["\u2069", "U+2069 (pop directional isolate)"],
  ["\ud800", "U+D800 (a lone surrogate)"],
  ["\udfff", "U+DFFF (a lone surrogate)"],
];

/** Names that must stay allowed: other scripts, emoji sequences (ZWJ), combining marks, inner spaces. */
const ALLOWED = ["Zitate – Café", "اقتباسات", "ציטוטים", "引用 𝄞", "👩‍💻 feed", "e\u0301té", "a  b", "x\u200by", "ZWNJ\u200cname"];

describe("names and references to them", () => {
  for (const field of NAME_FIELDS) {
    for (const [char, named] of REFUSED) {
      test(`${field.path}: ${named} is refused, with the path and the character`, () => {
        const b = bundle();
        field.put(b, `a𝄞${char}b`);
        expect(issuesOf(b)).toContainEqual({ path: field.path, message: `must not contain control or bidi characters: ${named} at character 3` });
      });
    }
  }

  for (const name of ALLOWED) {
    test(`${JSON.stringify(name)} is a valid name everywhere`, () => {
      const b = bundle();
      b.classes[0].name = name;
      b.scrapers[0].class = name;
      b.scrapers[0].name = name;
      b.sources[0].scraper = name;
      b.sources[0].name = name;
      expect(issuesOf(b)).toEqual([]);
    });
  }

  test("attr names were identifiers already: letters, digits, _ and - only", () => {
    const b = bundle();
    b.classes[0].attrs[1].name = "te\u0000xt";
    expect(issuesOf(b)).toContainEqual({
      path: "classes[0].attrs[1].name",
      message: "must start with a letter or _ and hold only letters, digits, _ and - (it is also a {placeholder})",
    });
  });
});

describe("other identifiers", () => {
  const cases: [string, (b: Loose) => void, Issue][] = [
    [
      "a NUL in a source URL",
      (b) => (b.sources[0].url = "http://127.0.0.1:1/a\u0000b"),
      { path: "sources[0].url", message: "must not contain control or bidi characters: U+0000 (NUL) at character 21" },
    ],
    [
      "a tab inside a source URL (parsers drop it silently)",
      (b) => (b.sources[0].url = "http://127.0.0.1:1/a\tb"),
      { path: "sources[0].url", message: "must not contain control or bidi characters: U+0009 (tab) at character 21" },
    ],
    [
      "a line feed at the end of an extra URL",
      (b) => (b.sources[0].urls = ["http://127.0.0.1:1/x\n"]),
      { path: "sources[0].urls[0]", message: "must not start or end with whitespace" },
    ],
    [
      "a bidi override in a checker's reference URL",
      (b) => (b.scrapers[0].checkers[0].checker_ref_url = "http://127.0.0.1:1/\u202egro.elpmaxe"),
      { path: "scrapers[0].checkers[0].checker_ref_url", message: "must not contain control or bidi characters: U+202E (right-to-left override) at character 20" },
    ],
    [
      "a control character in a cookie name",
      (b) => (b.scrapers[0].page_types[0].cookies = { "se\u0001ssion": "1" }),
      { path: "scrapers[0].page_types[0].cookies.se\u0001ssion", message: "must be a cookie name without spaces, ';', '=' or control characters" },
    ],
  ];
  for (const [name, mutate, issue] of cases) {
    test(name, () => {
      const b = bundle();
      mutate(b);
      expect(issuesOf(b)).toContainEqual(issue);
    });
  }
});

describe("free text takes anything JSON holds (it is stored inside JSON, and survives)", () => {
  test("comments, processor contexts, expressions, bodies and form data with controls and bidi characters", () => {
    const b = bundle();
    const text = "tab\there\nNUL\u0000 RLO\u202e LS\u2028";
    b.classes[0].comments = text;
    b.scrapers[0].comments = text;
    b.scrapers[0].elems[1].processors = ["join"];
    b.scrapers[0].elems[1].proc_ctxt = { join: "\n\t" };
    b.scrapers[0].elems[1].reg_exp = "a\\tb\t";
    b.scrapers[0].page_types[0].body = text;
    b.scrapers[0].page_types[0].form_data = { "k\u0000": text };
    expect(issuesOf(b)).toEqual([]);
  });
});
