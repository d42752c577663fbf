import { describe, expect, test } from "bun:test";
import {
  BUILTIN_PROCESSORS,
  checkProcessorContext,
  isBuiltinProcessor,
  processValues,
  usesStatic,
  type AttrProcessing,
  type ProcessorEnv,
} from "../../src/expressions/processors.ts";

const envAt = (iso: string, timeZone = "UTC"): ProcessorEnv => ({ timeZone, now: () => new Date(iso) });
const UTC = envAt("2024-06-15T12:00:00Z");

interface ChainCase {
  name: string;
  values: string[];
  processors?: string[];
  contexts?: Record<string, string>;
  useDefaults?: boolean;
  many?: boolean;
  env?: ProcessorEnv;
  expected: string | string[] | undefined;
}

function run(c: ChainCase): string | string[] | undefined {
  const p: AttrProcessing = {
    processors: c.processors ?? [],
    contexts: c.contexts ?? {},
    useDefaults: c.useDefaults ?? true,
    many: c.many ?? false,
  };
  return processValues(c.values, p, c.env ?? UTC);
}

const one = (name: string, values: string[], context: string | undefined, expected: string | undefined, env?: ProcessorEnv): ChainCase => ({
  name: `${name}(${context === undefined ? "" : JSON.stringify(context)}) ${JSON.stringify(values)}`,
  values,
  processors: [name],
  contexts: context === undefined ? {} : { [name]: context },
  env,
  expected,
});

const processorCases: ChainCase[] = [
  one("join", ["a", "b", "c"], undefined, "a b c"),
  one("join", ["a", "b", "c"], ", ", "a, b, c"),
  one("join", ["a", "b", "c"], "", "abc"),
  one("string_strip", ["  x \n\t"], undefined, "x"),
  one("string_strip", ["\u00a0x\u00a0"], undefined, "x"),
  one("string_strip", ["..This text makes no sense!-----"], ".-", "This text makes no sense!"),
  one("string_strip", ["xxyxx"], "x", "y"),
  one("string_strip", ["xxx"], "x", undefined),
  one("remove_chars", ["1.234,00 €"], "[^\\d,]", "1234,00"),
  one("remove_chars", ["a-b-c"], "-", "abc"),
  one("remove_chars", ["---"], "-", undefined),
  one("pre_string", ["text"], "before_", "before_text"),
  one("post_string", ["text"], "_after", "text_after"),
  one("pre_url", ["/path/document.html"], "http://example.com", "http://example.com/path/document.html"),
  one("pre_url", ["/path/document.html"], "http://example.com/", "http://example.com/path/document.html"),
  one("pre_url", ["http://example.com/path/document.html"], "http://example.com", "http://example.com/path/document.html"),
  one("pre_url", ["HTTPS://Other.org/A B"], "http://example.com/", "HTTPS://Other.org/A B"),
  one("pre_url", ["//cdn.example.org/x.png"], "https://example.com/", "https://cdn.example.org/x.png"),
  one("pre_url", ["//cdn.example.org/x.png"], "http://example.com/", "http://cdn.example.org/x.png"),
  one("pre_url", ["page2.html"], "http://example.com/list/", "http://example.com/list/page2.html"),
  one("pre_url", ["details?id=3"], "http://example.com/list/index.html", "http://example.com/list/details?id=3"),
  one("pre_url", ["../up.html"], "https://example.com/a/b/", "https://example.com/a/up.html"),
  one("pre_url", ["/item/{id}"], "https://{host}.example.com/base/", "https://{host}.example.com/item/{id}"),
  one("pre_url", ["{slug}.html"], "https://example.com/{section}/", "https://example.com/{section}/{slug}.html"),
  one("pre_url", ["http://[bad"], "http://example.com/", "http://[bad"),
  // DDS's own docs: protocol-relative image URLs completed with a bare scheme.
  one("pre_url", ["//upload.wikimedia.org/x.jpg"], "http:", "http://upload.wikimedia.org/x.jpg"),
  one("pre_url", ["//cdn.example.org/x.png"], "https:", "https://cdn.example.org/x.png"),
  one("pre_url", ["https://example.org/x.png"], "http:", "https://example.org/x.png"),
  // No rule applies: the context is prefixed, as DDS does.
  one("pre_url", ["/path/x.html"], "http:", "http:/path/x.html"),
  one("pre_url", ["x.html"], "www.example.com/", "www.example.com/x.html"),
  one("pre_url", ["//cdn.example.org/x.png"], "cdn-", "cdn-//cdn.example.org/x.png"),
  one("pre_url", ["a/b"], "mailto:", "mailto:a/b"),
  one("replace", ["Random text"], "Something totally different", "Something totally different"),
  one("replace", [], "Something totally different", undefined),
  one("replace", ["", "   "], "Something totally different", undefined),
  one("substr_replace", ["Hello World"], "World:Moon", "Hello Moon"),
  one("substr_replace", ["a-b-c"], "-:+", "a+b+c"),
  one("substr_replace", ["10:30"], "\\::h", "10h30"),
  one("substr_replace", ["a ratio"], "ratio:1\\:2", "a 1:2"),
  one("substr_replace", ["a ratio"], "ratio:1:2", "a 1:2"),
  one("substr_replace", ["abc"], "b:", "ac"),
  one("substr_replace", ["abc"], "abc:", undefined),
  one("static", ["ignored"], "Static text", "Static text"),
  one("static", [], "Static text", "Static text"),
  one("static", [], "  kept as written  ", "  kept as written  "),
  one("date", ["2011-12-15"], "%Y-%m-%d", "2011-12-15"),
  one("date", ["15.12.2011"], "%d.%m.%Y", "2011-12-15"),
  one("date", ["15 Dec 2011"], "%d %b %Y", "2011-12-15"),
  one("date", ["Thursday, 15 December 2011, 23:30"], "%A, %d %B %Y, %H:%M", "2011-12-15"),
  one("date", ["  15.12.11 "], "%d.%m.%y", "2011-12-15"),
  one("date", ["31.02.2011"], "%d.%m.%Y", undefined),
  one("date", ["no date"], "%d.%m.%Y", undefined),
  one("time", ["22:15"], "%H:%M", "22:15:00"),
  one("time", ["22 Uhr 15"], "%H Uhr %M", "22:15:00"),
  one("time", ["3:05 pm"], "%I:%M %p", "15:05:00"),
  one("time", ["15.12.2011 08:09:10"], "%d.%m.%Y %H:%M:%S", "08:09:10"),
  one("time", ["25:00"], "%H:%M", undefined),
  one("ts_to_date", ["1434560700"], undefined, "2015-06-17", envAt("2024-01-01T00:00:00Z", "Europe/Berlin")),
  one("ts_to_time", ["1434560700"], undefined, "19:05:00", envAt("2024-01-01T00:00:00Z", "Europe/Berlin")),
  one("ts_to_time", ["1434560700"], "", "17:05:00"),
  one("ts_to_time", ["1434560700.999"], undefined, "17:05:00"),
  one("ts_to_date", ["0"], undefined, "1970-01-01"),
  one("ts_to_date", ["-0.5"], undefined, "1969-12-31"),
  one("ts_to_time", ["-0.5"], undefined, "23:59:59"),
  one("ts_to_date", ["1e9"], undefined, undefined),
  one("ts_to_date", ["soon"], undefined, undefined),
  one("ts_to_date", ["99999999999999999"], undefined, undefined),
  one("duration", ["01:25"], "%H:%M", "01:25:00"),
  one("duration", ["1:25"], "%H:%M", "01:25:00"),
  one("duration", ["1"], "%H:%M", "01:00:00"),
  one("duration", ["3"], "%H:%M", "03:00:00"),
  one("duration", ["1:25:37"], "%H:%M:%S", "01:25:37"),
  one("duration", ["4:35"], "%M:%S", "00:04:35"),
  one("duration", ["77:35"], "%M:%S", "01:17:35"),
  one("duration", ["1"], "%M:%S", "00:01:00"),
  one("duration", ["7"], "%M:%S", "00:07:00"),
  one("duration", ["47"], "%M", "00:47:00"),
  one("duration", ["77"], "%M", "01:17:00"),
  one("duration", ["62"], "%S", "00:01:02"),
  one("duration", ["3600"], "%S", "01:00:00"),
  one("duration", ["3605"], "%S", "01:00:05"),
  one("duration", ["5127"], "%S", "01:25:27"),
  one("duration", ["2 hours 17 minutes 15 seconds"], "%H hours %M minutes %S seconds", "02:17:15"),
  one("duration", ["1500"], "%M", "25:00:00"),
  one("duration", ["4:75"], "%M:%S", undefined),
  one("duration", ["long"], "%M", undefined),
];

describe("each processor", () => {
  test.each(processorCases)("$name", (c) => {
    expect(run(c)).toEqual(c.expected);
  });
});

// 2024-03-31T22:30Z is already April 1st in Berlin (CEST, +2) but still March 31st in UTC and New York.
const nearMidnight = "2024-03-31T22:30:00Z";
const relativeDates: ChainCase[] = [
  ["today", "UTC", "2024-03-31"],
  ["yesterday", "UTC", "2024-03-30"],
  ["tomorrow", "UTC", "2024-04-01"],
  ["today", "Europe/Berlin", "2024-04-01"],
  ["heute", "Europe/Berlin", "2024-04-01"],
  ["HEUTE", "Europe/Berlin", "2024-04-01"],
  [" Today ", "Europe/Berlin", "2024-04-01"],
  ["yesterday", "Europe/Berlin", "2024-03-31"],
  ["gestern", "Europe/Berlin", "2024-03-31"],
  ["tomorrow", "Europe/Berlin", "2024-04-02"],
  ["Morgen", "Europe/Berlin", "2024-04-02"],
  ["today", "America/New_York", "2024-03-31"],
  ["today", "Asia/Tokyo", "2024-04-01"],
].map(([word = "", zone = "", expected]) => ({
  name: `${JSON.stringify(word)} in ${zone}`,
  values: [word],
  processors: ["date"],
  contexts: { date: "%d.%m.%Y" },
  env: envAt(nearMidnight, zone),
  expected,
}));

const timestamps: ChainCase[] = [
  // 1711924200 = 2024-03-31T22:30:00Z; 1704151800 = 2024-01-01T23:30:00Z (CET, +1).
  ["ts_to_date", "1711924200", "UTC", "2024-03-31"],
  ["ts_to_time", "1711924200", "UTC", "22:30:00"],
  ["ts_to_date", "1711924200", "Europe/Berlin", "2024-04-01"],
  ["ts_to_time", "1711924200", "Europe/Berlin", "00:30:00"],
  ["ts_to_date", "1704151800", "Europe/Berlin", "2024-01-02"],
  ["ts_to_time", "1704151800", "Europe/Berlin", "00:30:00"],
  ["ts_to_time", "1704151800", "America/New_York", "18:30:00"],
  ["ts_to_time", "1704151800", "Asia/Kolkata", "05:00:00"],
].map(([processor = "", ts = "", zone = "", expected]) => ({
  name: `${processor} ${ts} in ${zone}`,
  values: [ts],
  processors: [processor],
  env: envAt(nearMidnight, zone),
  expected,
}));

const endOfYear: ChainCase = {
  name: "yesterday on New Year's morning in Berlin is the last day of the old year",
  values: ["yesterday"],
  processors: ["date"],
  contexts: { date: "%d.%m.%Y" },
  env: envAt("2023-12-31T23:30:00Z", "Europe/Berlin"),
  expected: "2023-12-31",
};

describe("time zones", () => {
  test.each([...relativeDates, ...timestamps, endOfYear])("$name", (c) => {
    expect(run(c)).toEqual(c.expected);
  });
});

const chainCases: ChainCase[] = [
  { name: "defaults take the first non-empty value and strip it", values: ["", "  first ", "second"], expected: "first" },
  { name: "defaults strip with the string_strip context", values: ["**a**", "b"], contexts: { string_strip: "*" }, expected: "a" },
  { name: "defaults leave nothing from whitespace only", values: ["   ", "b"], expected: undefined },
  { name: "no values, no result", values: [], expected: undefined },
  { name: "defaults off keep the value as extracted", values: ["  a  ", "b"], useDefaults: false, expected: "  a  " },
  {
    name: "defaults off: a single attr is the first value that survives the chain",
    values: ["bad", "15.12.2011"],
    processors: ["date"],
    contexts: { date: "%d.%m.%Y" },
    useDefaults: false,
    expected: "2011-12-15",
  },
  {
    name: "defaults on: the first value is taken before the chain, so a bad one gives nothing",
    values: ["bad", "15.12.2011"],
    processors: ["date"],
    contexts: { date: "%d.%m.%Y" },
    expected: undefined,
  },
  {
    name: "processors run in order",
    values: ["x"],
    processors: ["pre_string", "post_string", "pre_string"],
    contexts: { pre_string: "<", post_string: ">" },
    expected: "<<x>",
  },
  {
    name: "an empty result stops the chain",
    values: ["abc"],
    processors: ["substr_replace", "post_string"],
    contexts: { substr_replace: "abc:", post_string: "!" },
    expected: undefined,
  },
  {
    name: "a failed parse stops the chain",
    values: ["soon"],
    processors: ["date", "replace"],
    contexts: { date: "%d.%m.%Y", replace: "dated" },
    expected: undefined,
  },
  { name: "many keeps every value, stripped", values: ["  a ", "", " b "], many: true, expected: ["a", "b"] },
  {
    name: "many maps each processor over each value",
    values: ["a", "b"],
    processors: ["pre_string", "post_string"],
    contexts: { pre_string: "<", post_string: ">" },
    many: true,
    expected: ["<a>", "<b>"],
  },
  {
    name: "many drops values a processor empties",
    values: ["15.12.2011", "never", "01.01.2012"],
    processors: ["date"],
    contexts: { date: "%d.%m.%Y" },
    many: true,
    expected: ["2011-12-15", "2012-01-01"],
  },
  { name: "many with nothing left is undefined", values: ["", " "], many: true, expected: undefined },
  { name: "many without defaults keeps whitespace", values: ["  a ", ""], many: true, useDefaults: false, expected: ["  a "] },
  {
    name: "join on a single attr takes the whole list, stripped, not the first value",
    values: [" a ", "", " b "],
    processors: ["join"],
    expected: "a b",
  },
  {
    name: "processors before join map each value, those after run on the joined string",
    values: ["a", "b"],
    processors: ["pre_string", "join", "post_string"],
    contexts: { pre_string: "<", join: "|", post_string: ">" },
    expected: "<a|<b>",
  },
  {
    name: "join first, then the others on one string",
    values: ["a", "b"],
    processors: ["join", "pre_string"],
    contexts: { pre_string: "<", join: "|" },
    expected: "<a|b",
  },
  {
    name: "join drops values emptied before it",
    values: ["1.1.2020", "x", "2.2.2020"],
    processors: ["date", "join"],
    contexts: { date: "%d.%m.%Y", join: ", " },
    expected: "2020-01-01, 2020-02-02",
  },
  { name: "join of nothing is nothing", values: ["", "  "], processors: ["join"], expected: undefined },
  {
    name: "join on a many attr gives one joined value",
    values: ["a", "b"],
    processors: ["join"],
    contexts: { join: "+" },
    many: true,
    expected: ["a+b"],
  },
  {
    name: "static ignores extracted values and defaults",
    values: ["scraped", "more"],
    processors: ["static"],
    contexts: { static: " fixed " },
    expected: " fixed ",
  },
  {
    name: "processors after static run on its context",
    values: [],
    processors: ["static", "post_string"],
    contexts: { static: "fixed", post_string: "!" },
    expected: "fixed!",
  },
  {
    name: "processors before static have no effect",
    values: ["x"],
    processors: ["date", "static"],
    contexts: { date: "%d.%m.%Y", static: "fixed" },
    expected: "fixed",
  },
  { name: "static on a many attr", values: ["a", "b"], processors: ["static"], contexts: { static: "s" }, many: true, expected: ["s"] },
  {
    name: "replace keeps the chain going with its context",
    values: ["anything"],
    processors: ["replace", "pre_url"],
    contexts: { replace: "/fixed", pre_url: "https://example.com" },
    expected: "https://example.com/fixed",
  },
];

describe("the chain", () => {
  test.each(chainCases)("$name", (c) => {
    expect(run(c)).toEqual(c.expected);
  });
});

const broken: { name: string; processors: string[]; contexts: Record<string, string>; message: string }[] = [
  { name: "unknown processor", processors: ["nope"], contexts: {}, message: 'unknown processor "nope"' },
  { name: "missing context", processors: ["pre_string"], contexts: {}, message: "pre_string needs a context: the text to put before the value" },
  {
    name: "bad regex",
    processors: ["remove_chars"],
    contexts: { remove_chars: "(" },
    message: "remove_chars context is not a valid regular expression",
  },
];

describe("processValues refuses definitions the validator would have rejected", () => {
  test.each(broken)("$name", ({ processors, contexts, message }) => {
    expect(() => processValues(["a"], { processors, contexts, useDefaults: true, many: false }, UTC)).toThrow(message);
  });
});

const contextChecks: { name: string; context: string | undefined; reason: string | undefined }[] = [
  { name: "join", context: undefined, reason: undefined },
  { name: "join", context: ", ", reason: undefined },
  { name: "string_strip", context: undefined, reason: undefined },
  { name: "string_strip", context: ".-", reason: undefined },
  { name: "remove_chars", context: undefined, reason: "remove_chars needs a context: a regular expression matching what to remove" },
  { name: "remove_chars", context: "[^\\d]+", reason: undefined },
  { name: "pre_string", context: undefined, reason: "pre_string needs a context: the text to put before the value" },
  { name: "pre_string", context: "", reason: "pre_string needs a context: the text to put before the value" },
  { name: "pre_string", context: "x", reason: undefined },
  { name: "post_string", context: undefined, reason: "post_string needs a context: the text to put after the value" },
  { name: "post_string", context: "x", reason: undefined },
  { name: "pre_url", context: undefined, reason: 'pre_url needs a context: what completes a URL: a scheme ("http:"), an origin or a base URL' },
  { name: "pre_url", context: "", reason: 'pre_url needs a context: what completes a URL: a scheme ("http:"), an origin or a base URL' },
  { name: "pre_url", context: "https://example.com/", reason: undefined },
  { name: "pre_url", context: "http://example.com/{category}/", reason: undefined },
  { name: "pre_url", context: "https://{host}/", reason: undefined },
  // Any non-empty string, as DDS takes it: a scheme, a path, another scheme's URL.
  { name: "pre_url", context: "http:", reason: undefined },
  { name: "pre_url", context: "/relative/path", reason: undefined },
  { name: "pre_url", context: "ftp://example.com/", reason: undefined },
  { name: "replace", context: undefined, reason: "replace needs a context: the text that replaces a scraped value" },
  { name: "replace", context: "new", reason: undefined },
  { name: "substr_replace", context: undefined, reason: 'substr_replace needs a context: a text "old:new" (write \\: for a colon inside old or new)' },
  { name: "substr_replace", context: "old:new", reason: undefined },
  { name: "substr_replace", context: "old:", reason: undefined },
  { name: "substr_replace", context: "a\\:b:c", reason: undefined },
  { name: "substr_replace", context: "no colon", reason: 'substr_replace context must be "old:new" with an unescaped ":"' },
  { name: "substr_replace", context: "only\\:escaped", reason: 'substr_replace context must be "old:new" with an unescaped ":"' },
  { name: "substr_replace", context: ":new", reason: 'substr_replace context must be "old:new" with a non-empty old text before the ":"' },
  { name: "static", context: undefined, reason: "static needs a context: the value itself" },
  { name: "static", context: "value", reason: undefined },
  { name: "date", context: undefined, reason: 'date needs a context: a strptime format such as "%d.%m.%Y"' },
  { name: "date", context: "%d.%m.%Y", reason: undefined },
  { name: "date", context: "%d.%Q.%Y", reason: 'date format "%d.%Q.%Y" has an unknown directive "%Q"' },
  { name: "date", context: "%d.%m.%", reason: 'date format "%d.%m.%" ends with a lone "%" (write "%%" for a percent sign)' },
  { name: "time", context: undefined, reason: 'time needs a context: a strptime format such as "%H:%M"' },
  { name: "time", context: "%H:%M", reason: undefined },
  { name: "time", context: "%H:%M:%H", reason: 'time format "%H:%M:%H" uses %H twice' },
  { name: "ts_to_date", context: undefined, reason: undefined },
  { name: "ts_to_date", context: "", reason: undefined },
  { name: "ts_to_date", context: "%Y", reason: "ts_to_date takes no context (it converts in the configured time zone)" },
  { name: "ts_to_time", context: undefined, reason: undefined },
  { name: "ts_to_time", context: "UTC", reason: "ts_to_time takes no context (it converts in the configured time zone)" },
  { name: "duration", context: undefined, reason: 'duration needs a context: a format of %H, %M and %S such as "%M:%S"' },
  { name: "duration", context: "%M:%S", reason: undefined },
  { name: "duration", context: "%H hours %M minutes", reason: undefined },
  { name: "duration", context: "%d days", reason: 'duration format "%d days" uses %d; a duration may only use %H, %M and %S' },
  { name: "duration", context: "minutes", reason: 'duration format "minutes" has no % directive' },
  { name: "nope", context: undefined, reason: 'unknown processor "nope"' },
  { name: "constructor", context: undefined, reason: 'unknown processor "constructor"' },
];

describe("checkProcessorContext", () => {
  test.each(contextChecks)("$name with $context", ({ name, context, reason }) => {
    expect(checkProcessorContext(name, context)).toBe(reason);
  });

  test("remove_chars names the regex error", () => {
    expect(checkProcessorContext("remove_chars", "[a-")).toStartWith("remove_chars context is not a valid regular expression: ");
  });
});

describe("the registry", () => {
  test("lists the built-ins in SPEC order", () => {
    expect(BUILTIN_PROCESSORS).toEqual([
      "join", "string_strip", "remove_chars", "pre_string", "post_string", "pre_url", "replace",
      "substr_replace", "static", "date", "time", "ts_to_date", "ts_to_time", "duration",
    ]);
  });

  test.each([
    ["join", true],
    ["duration", true],
    ["JOIN", false],
    ["toString", false],
    ["__proto__", false],
    ["", false],
  ] as const)("isBuiltinProcessor(%p) is %p", (name, expected) => {
    expect(isBuiltinProcessor(name)).toBe(expected);
  });

  test.each([
    [["static"], true],
    [["pre_string", "static"], true],
    [["pre_string"], false],
    [[], false],
  ] as const)("usesStatic(%p) is %p", (processors, expected) => {
    expect(usesStatic(processors)).toBe(expected);
  });
});
