/**
 * @module
 * strptime-style parsing for the `date`, `time` and `duration` processors.
 *
 * DDS users write Python `datetime.strptime` formats, so a format compiles to a regular expression the way
 * CPython's `_strptime` builds one (same alternations, case-insensitive, whole-string match), which gives the
 * same backtracking results for glued fields like `%H%M`. Month and day names are English only.
 */

/** What a date/time text says, after validation. Fields the format lacks have Python's defaults (1900-01-01 00:00). */
export interface DateTimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  /** Only when the format has `%z`: the offset from UTC in seconds (`Z` → 0). */
  utcOffsetSeconds?: number;
}

/** `datetime`: every directive; `duration`: only `%H`, `%M`, `%S` (and `%%`), see {@link parseDuration}. */
export type FormatKind = "datetime" | "duration";

const MONTHS = [
  "january", "february", "march", "april", "may", "june",
  "july", "august", "september", "october", "november", "december",
];
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** Alternatives longest first, as CPython does, so `june` is not cut to `jun`. */
function namesPattern(names: readonly string[]): string {
  return [...names].sort((a, b) => b.length - a.length).join("|");
}

/** CPython's `_strptime.TimeRE` patterns for the directives we support. */
const DIRECTIVE_PATTERNS: Readonly<Record<string, string>> = {
  d: "3[01]|[12]\\d|0[1-9]|[1-9]| [1-9]",
  m: "1[0-2]|0[1-9]|[1-9]",
  Y: "\\d\\d\\d\\d",
  y: "\\d\\d",
  H: "2[0-3]|[0-1]\\d|\\d",
  I: "1[0-2]|0[1-9]|[1-9]",
  M: "[0-5]\\d|\\d",
  S: "6[0-1]|[0-5]\\d|\\d",
  p: "am|pm",
  b: namesPattern(MONTHS.map((m) => m.slice(0, 3))),
  B: namesPattern(MONTHS),
  a: namesPattern(WEEKDAYS.map((d) => d.slice(0, 3))),
  A: namesPattern(WEEKDAYS),
  j: "36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9]",
  f: "\\d{1,6}",
  z: "[+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|z",
};
const DURATION_DIRECTIVES = new Set(["H", "M", "S"]);
const DURATION_UNIT_SECONDS: Readonly<Record<string, number>> = { H: 3600, M: 60, S: 1 };

type FormatToken =
  | { readonly kind: "directive"; readonly code: string }
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "space" };

interface CompiledFormat {
  readonly regex: RegExp;
  /** Directive codes in the order of the regex's capture groups. */
  readonly codes: readonly string[];
}

/** Why `format` cannot be used (undefined when it can). */
export function checkFormat(format: string, kind: FormatKind = "datetime"): string | undefined {
  const tokens = tokenize(format);
  if (typeof tokens === "string") return tokens;
  const codes = tokens.flatMap((t) => (t.kind === "directive" ? [t.code] : []));
  if (codes.length === 0) return `format "${format}" has no % directive`;
  const repeated = codes.find((c, i) => codes.indexOf(c) !== i);
  if (repeated !== undefined) return `format "${format}" uses %${repeated} twice`;
  if (kind === "duration") {
    const bad = codes.find((c) => !DURATION_DIRECTIVES.has(c));
    if (bad !== undefined) return `format "${format}" uses %${bad}; a duration may only use %H, %M and %S`;
  }
  return undefined;
}

/**
 * Parses `text` with a strptime format; undefined when it does not match the whole text or names an impossible
 * date (Feb 30, `%j` 366 in a common year). Throws a RangeError when the format itself is invalid.
 */
export function parseDateTime(text: string, format: string): DateTimeFields | undefined {
  const { regex, codes } = compiled(format, "datetime");
  const m = regex.exec(text);
  if (!m) return undefined;
  const found = new Map<string, string>();
  codes.forEach((code, i) => found.set(code, m[i + 1] ?? ""));
  return toFields(found);
}

/**
 * Parses a duration to whole seconds, carrying overflow like DDS: the format's first field takes any number
 * (`77` with `%M` is 1 h 17 min, `5127` with `%S` is 1 h 25 min 27 s), the others stay in range, and a bare
 * integer that does not fit the format fills its first field (`3` with `%H:%M` is 3 h). Undefined when it does
 * not match. Throws a RangeError when the format is not a valid duration format.
 */
export function parseDuration(text: string, format: string): number | undefined {
  const { regex, codes } = compiled(format, "duration");
  const m = regex.exec(text);
  if (m) return codes.reduce((sum, code, i) => sum + Number(m[i + 1]) * unitSeconds(code), 0);
  const first = codes[0];
  if (first !== undefined && /^\d+$/.test(text)) return Number(text) * unitSeconds(first);
  return undefined;
}

function unitSeconds(code: string): number {
  return DURATION_UNIT_SECONDS[code] ?? 0;
}

// ---------------------------------------------------------------------------------------------------------

/** Formats come from definitions, so there are few distinct ones; the cap only guards a long-running server. */
const cache = new Map<string, CompiledFormat>();
const CACHE_LIMIT = 500;

function compiled(format: string, kind: FormatKind): CompiledFormat {
  const key = `${kind}\u0000${format}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const reason = checkFormat(format, kind);
  if (reason !== undefined) throw new RangeError(reason);
  const tokens = tokenize(format) as FormatToken[];
  if (cache.size >= CACHE_LIMIT) cache.clear();
  const result = compile(tokens, kind);
  cache.set(key, result);
  return result;
}

function tokenize(format: string): FormatToken[] | string {
  if (format === "") return "format is empty";
  const tokens: FormatToken[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format[i] ?? "";
    if (c === "%") {
      const code = format[i + 1];
      if (code === undefined) return `format "${format}" ends with a lone "%" (write "%%" for a percent sign)`;
      if (code === "%") tokens.push({ kind: "literal", text: "%" });
      else if (Object.hasOwn(DIRECTIVE_PATTERNS, code)) tokens.push({ kind: "directive", code });
      else return `format "${format}" has an unknown directive "%${code}"`;
      i += 2;
    } else if (/\s/.test(c)) {
      while (i < format.length && /\s/.test(format[i] ?? "")) i++;
      tokens.push({ kind: "space" });
    } else {
      tokens.push({ kind: "literal", text: c });
      i++;
    }
  }
  return tokens;
}

function compile(tokens: readonly FormatToken[], kind: FormatKind): CompiledFormat {
  const codes: string[] = [];
  const parts = tokens.map((t) => {
    if (t.kind === "space") return "\\s*";
    if (t.kind === "literal") return t.text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
    // In a duration the leading field is unbounded: that is where an overflowing count (90 minutes) lands.
    const pattern = kind === "duration" && codes.length === 0 ? "\\d+" : DIRECTIVE_PATTERNS[t.code];
    codes.push(t.code);
    return `(${pattern})`;
  });
  return { regex: new RegExp(`^${parts.join("")}$`, "i"), codes };
}

/** CPython's `_strptime` field resolution, then the date validity check `datetime()` would make. */
function toFields(found: ReadonlyMap<string, string>): DateTimeFields | undefined {
  const get = (code: string) => found.get(code);
  const num = (code: string) => Number(found.get(code));

  let year = 1900;
  if (get("Y") !== undefined) year = num("Y");
  else if (get("y") !== undefined) year = num("y") <= 68 ? 2000 + num("y") : 1900 + num("y");

  let month = 1;
  if (get("m") !== undefined) month = num("m");
  const monthName = get("B") ?? get("b");
  if (monthName !== undefined) month = monthIndex(monthName) + 1;

  let day = get("d") !== undefined ? num("d") : 1;

  let hour = get("H") !== undefined ? num("H") : 0;
  const twelve = get("I");
  if (twelve !== undefined) {
    // Without %p a 12-hour clock reads as AM, as in Python: 12 → 0.
    const pm = get("p")?.toLowerCase() === "pm";
    hour = (Number(twelve) % 12) + (pm ? 12 : 0);
  }
  const minute = get("M") !== undefined ? num("M") : 0;
  const second = get("S") !== undefined ? num("S") : 0;
  const fraction = get("f");
  const microsecond = fraction !== undefined ? Number(fraction.padEnd(6, "0")) : 0;

  const dayOfYear = get("j");
  if (dayOfYear !== undefined) {
    // %j wins over %m/%d as in Python, but unlike Python day 366 of a common year is refused, not rolled over.
    const n = Number(dayOfYear);
    if (n > (isLeapYear(year) ? 366 : 365)) return undefined;
    const date = new Date(0);
    date.setUTCFullYear(year, 0, n);
    month = date.getUTCMonth() + 1;
    day = date.getUTCDate();
  }

  if (second > 59 || day > daysInMonth(year, month)) return undefined;

  const fields: DateTimeFields = { year, month, day, hour, minute, second, microsecond };
  const zone = get("z");
  if (zone !== undefined) {
    const offset = utcOffsetSeconds(zone);
    if (offset === undefined) return undefined;
    fields.utcOffsetSeconds = offset;
  }
  return fields;
}

function monthIndex(name: string): number {
  const lower = name.toLowerCase();
  return MONTHS.findIndex((m) => m === lower || m.slice(0, 3) === lower);
}

function utcOffsetSeconds(zone: string): number | undefined {
  if (zone.toLowerCase() === "z") return 0;
  const m = /^([+-])(\d\d):?(\d\d)(?::?(\d\d))?/.exec(zone);
  if (!m) return undefined;
  const hours = Number(m[2]);
  if (hours > 23) return undefined;
  const seconds = hours * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === "-" ? -seconds : seconds;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
