/**
 * @module
 * The built-in processors (SPEC §2) and the chain that runs them over the values extracted for one attr.
 *
 * Each processor turns one string into another, or into nothing, which drops that value. Only `join` works on
 * the whole list. Contexts are checked here too, so that the definition validator and the chain agree on what
 * a context means.
 */

import { compileRegex, RegexSyntaxError } from "./regex.ts";
import { checkFormat, parseDateTime, parseDuration, type DateTimeFields } from "./datetime.ts";

/** Where the chain gets "now" and the zone for `today`, `yesterday`, `ts_to_date`… */
export interface ProcessorEnv {
  /** IANA time zone name, e.g. "Europe/Berlin"; callers default it to "UTC". */
  timeZone: string;
  now: () => Date;
}

/** How the values of one attr are processed: an elem's `processors`, `proc_ctxt`, `use_default_procs`, and the attr's `many`. */
export interface AttrProcessing {
  processors: readonly string[];
  contexts: Readonly<Record<string, string>>;
  useDefaults: boolean;
  many: boolean;
}

type ProcessorFn = (value: string, context: string | undefined, env: ProcessorEnv) => string | undefined;

interface Builtin {
  /** `required`: the processor is meaningless without one; `none`: a context would be silently ignored. */
  readonly context: "required" | "optional" | "none";
  /** What the context is, for the "needs a context" message. */
  readonly contextMeans?: string;
  /** Why a given (non-empty) context is unusable. */
  readonly check?: (context: string) => string | undefined;
  /** Absent for `join`, which the chain applies to the whole list. */
  readonly run?: ProcessorFn;
}

const BUILTINS: Readonly<Record<string, Builtin>> = {
  join: { context: "optional" },
  string_strip: { context: "optional", run: (v, ctx) => strip(v, ctx) },
  remove_chars: {
    context: "required",
    contextMeans: "a regular expression matching what to remove",
    check: checkRegex,
    run: (v, ctx) => v.replace(compileRegex(ctx ?? "", "g"), ""),
  },
  pre_string: { context: "required", contextMeans: "the text to put before the value", run: (v, ctx) => `${ctx ?? ""}${v}` },
  post_string: { context: "required", contextMeans: "the text to put after the value", run: (v, ctx) => `${v}${ctx ?? ""}` },
  pre_url: {
    context: "required",
    contextMeans: 'what completes a URL: a scheme ("http:"), an origin or a base URL',
    run: (v, ctx) => preUrl(v, ctx ?? ""),
  },
  replace: { context: "required", contextMeans: "the text that replaces a scraped value", run: (_v, ctx) => ctx },
  substr_replace: {
    context: "required",
    contextMeans: 'a text "old:new" (write \\: for a colon inside old or new)',
    check: checkSubstrReplace,
    run: (v, ctx) => {
      const parts = splitSubstrReplace(ctx ?? "");
      return parts ? v.split(parts.old).join(parts.replacement) : undefined;
    },
  },
  static: { context: "required", contextMeans: "the value itself", run: (_v, ctx) => ctx },
  date: {
    context: "required",
    contextMeans: 'a strptime format such as "%d.%m.%Y"',
    check: (ctx) => prefixed("date", checkFormat(ctx)),
    run: (v, ctx, env) => toDate(v, ctx ?? "", env),
  },
  time: {
    context: "required",
    contextMeans: 'a strptime format such as "%H:%M"',
    check: (ctx) => prefixed("time", checkFormat(ctx)),
    run: (v, ctx) => {
      const f = parseDateTime(v, ctx ?? "");
      return f && isoTime(f.hour, f.minute, f.second);
    },
  },
  ts_to_date: { context: "none", run: (v, _ctx, env) => fromTimestamp(v, env, "date") },
  ts_to_time: { context: "none", run: (v, _ctx, env) => fromTimestamp(v, env, "time") },
  duration: {
    context: "required",
    contextMeans: 'a format of %H, %M and %S such as "%M:%S"',
    check: (ctx) => prefixed("duration", checkFormat(ctx, "duration")),
    run: (v, ctx) => {
      const seconds = parseDuration(v, ctx ?? "");
      return seconds === undefined ? undefined : isoDuration(seconds);
    },
  },
};

export const BUILTIN_PROCESSORS: readonly string[] = Object.freeze(Object.keys(BUILTINS));

export function isBuiltinProcessor(name: string): boolean {
  return Object.hasOwn(BUILTINS, name);
}

/** Why `context` is not usable for processor `name` (undefined when fine). `context` undefined = none given. */
export function checkProcessorContext(name: string, context: string | undefined): string | undefined {
  const builtin = isBuiltinProcessor(name) ? BUILTINS[name] : undefined;
  if (!builtin) return `unknown processor "${name}"`;
  // An empty context counts as none: it is what a cleared form field or `""` in a DDS fixture means.
  if (context === undefined || context === "") {
    return builtin.context === "required" ? `${name} needs a context: ${builtin.contextMeans ?? "a value"}` : undefined;
  }
  if (builtin.context === "none") return `${name} takes no context (it converts in the configured time zone)`;
  return builtin.check?.(context);
}

/** True when the elem's value comes from the `static` context and no XPath/JSONPath must be evaluated. */
export function usesStatic(processors: readonly string[]): boolean {
  return processors.includes("static");
}

/**
 * Runs default processors then the elem's processors over the values extracted (after reg_exp) for one attr.
 * Returns a string (single attr), a string[] (many attr), or undefined when nothing is left.
 * Throws an Error naming the reason when a processor is unknown or its context unusable (the definition
 * validator rejects both, so this only guards definitions that bypassed it).
 */
export function processValues(
  values: readonly string[],
  p: AttrProcessing,
  env: ProcessorEnv,
): string | string[] | undefined {
  const { list, steps } = startOfChain(values, p);
  for (const name of steps) {
    const reason = checkProcessorContext(name, p.contexts[name]);
    if (reason !== undefined) throw new Error(reason);
  }
  let current = list.filter(nonEmpty);
  for (const name of steps) {
    const context = p.contexts[name];
    const run = BUILTINS[name]?.run;
    if (run === undefined) {
      current = current.length > 0 ? [current.join(context ?? " ")] : [];
    } else {
      current = current.map((v) => run(v, context, env) ?? "").filter(nonEmpty);
    }
    if (current.length === 0) return undefined;
  }
  if (p.many) return current.length > 0 ? current : undefined;
  return current[0];
}

/** The values the chain starts from and the processors it runs, defaults included. */
function startOfChain(values: readonly string[], p: AttrProcessing): { list: readonly string[]; steps: readonly string[] } {
  const staticAt = p.processors.indexOf("static");
  if (staticAt >= 0) {
    // The value is the context as written: defaults and processors before `static` would only have worked on
    // values that `static` throws away.
    return { list: [p.contexts.static ?? ""], steps: p.processors.slice(staticAt + 1) };
  }
  if (!p.useDefaults) return { list: values, steps: p.processors };
  // "Take first" is skipped for `join`, which exists to combine all the values; for a many attr, which keeps them.
  const takeFirst = !p.many && !p.processors.includes("join");
  const first = values.find(nonEmpty);
  return {
    list: takeFirst ? (first === undefined ? [] : [first]) : values,
    steps: ["string_strip", ...p.processors],
  };
}

function nonEmpty(v: string): boolean {
  return v !== "";
}

function prefixed(name: string, reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : `${name} ${reason}`;
}

// ---------------------------------------------------------------------------------------------------------
// Strings

/** Python's `str.strip(chars)`: removes any of `chars` from both ends; no chars → Unicode whitespace. */
function strip(value: string, chars: string | undefined): string {
  if (chars === undefined || chars === "") return value.trim();
  const set = new Set(chars);
  const cps = Array.from(value);
  let start = 0;
  let end = cps.length;
  while (start < end && set.has(cps[start] ?? "")) start++;
  while (end > start && set.has(cps[end - 1] ?? "")) end--;
  return cps.slice(start, end).join("");
}

function checkRegex(context: string): string | undefined {
  try {
    compileRegex(context, "g");
    return undefined;
  } catch (e) {
    return `remove_chars context is not a valid regular expression: ${e instanceof RegexSyntaxError ? e.reason : String(e)}`;
  }
}

/** The first `:` not preceded by a backslash separates old from new; `\:` is a literal colon on both sides. */
function splitSubstrReplace(context: string): { old: string; replacement: string } | undefined {
  const colon = /(?<!\\):/.exec(context);
  if (!colon) return undefined;
  const unescape = (s: string) => s.replaceAll("\\:", ":");
  return { old: unescape(context.slice(0, colon.index)), replacement: unescape(context.slice(colon.index + 1)) };
}

function checkSubstrReplace(context: string): string | undefined {
  const parts = splitSubstrReplace(context);
  if (!parts) return 'substr_replace context must be "old:new" with an unescaped ":"';
  if (parts.old === "") return 'substr_replace context must be "old:new" with a non-empty old text before the ":"';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// URLs

/** `{attr}` placeholders, filled after all pages of an item are read; they must survive URL resolution. */
const PLACEHOLDER = /\{[^{}\s]*\}/g;
const PLACEHOLDER_TOKEN = /dscraperplaceholder(\d+)x/g;

function parseUrl(text: string, base?: string): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/**
 * DDS's `pre_url` glued the context in front of the value; its own docs complete protocol-relative image URLs
 * with `'pre_url': 'http:'`. The same contexts work here, made a little smarter (SPEC.md §2): an absolute
 * http(s) URL is kept (DDS #76), a protocol-relative `//host/x` takes the context's scheme, a relative path is
 * resolved when the context is a URL, and anything else is prefixed as DDS does.
 */
function preUrl(value: string, context: string): string {
  if (/^https?:\/\//i.test(value)) return value;
  const base = parseUrl(protect(context).text);
  if (value.startsWith("//")) {
    const scheme = SCHEME.test(context) ? context : base?.protocol;
    if (scheme) return `${scheme}${value}`;
  } else if (base && base.host !== "") {
    const resolved = absoluteUrl(value, context);
    if (resolved !== undefined) return resolved;
  }
  return `${context}${value}`;
}

/** A bare scheme such as `http:` (RFC 3986 §3.1). */
const SCHEME = /^[a-z][a-z\d+.-]*:$/i;

/** Braces would be percent-encoded by URL; placeholders are swapped for tokens that URL leaves alone. */
function protect(text: string, saved: string[] = []): { text: string; saved: string[] } {
  const out = text.replace(PLACEHOLDER, (m) => {
    saved.push(m);
    return `dscraperplaceholder${saved.length - 1}x`;
  });
  return { text: out, saved };
}

/** Resolves `value` against the URL `base`, keeping `{attr}` placeholders of both as written. */
function absoluteUrl(value: string, base: string): string | undefined {
  const saved: string[] = [];
  const url = parseUrl(protect(value, saved).text, protect(base, saved).text);
  return url?.href.replace(PLACEHOLDER_TOKEN, (token, i: string) => saved[Number(i)] ?? token);
}

// ---------------------------------------------------------------------------------------------------------
// Dates and times

const RELATIVE_DAYS = new Map([
  ["today", 0],
  ["heute", 0],
  ["yesterday", -1],
  ["gestern", -1],
  ["tomorrow", 1],
  ["morgen", 1],
]);

function toDate(value: string, format: string, env: ProcessorEnv): string | undefined {
  const shift = RELATIVE_DAYS.get(value.trim().toLowerCase());
  if (shift !== undefined) {
    const today = zonedParts(env.now(), env.timeZone);
    // Date.UTC normalises day overflow, so month and year ends roll over correctly.
    const day = new Date(Date.UTC(today.year, today.month - 1, today.day + shift));
    return isoDate(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate());
  }
  const fields = parseDateTime(value, format);
  return fields && isoDate(fields.year, fields.month, fields.day);
}

const MAX_DATE_MS = 8.64e15;

/** Unix seconds (fractions allowed) → date or time in `env.timeZone`; anything else → nothing. */
function fromTimestamp(value: string, env: ProcessorEnv, part: "date" | "time"): string | undefined {
  const text = value.trim();
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(text)) return undefined;
  // Floor, not truncation: -0.5 s is 23:59:59 of the day before, as Python's fromtimestamp says.
  const ms = Math.floor(Number(text) * 1000);
  if (!(Math.abs(ms) <= MAX_DATE_MS)) return undefined;
  const t = zonedParts(new Date(ms), env.timeZone);
  return part === "date" ? isoDate(t.year, t.month, t.day) : isoTime(t.hour, t.minute, t.second);
}

type ZonedParts = Pick<DateTimeFields, "year" | "month" | "day" | "hour" | "minute" | "second">;

/** One formatter per zone: building an Intl.DateTimeFormat is far costlier than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function zonedParts(date: Date, timeZone: string): ZonedParts {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone,
      calendar: "gregory",
      numberingSystem: "latn",
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, fmt);
  }
  const parts: Record<string, string> = {};
  for (const { type, value } of fmt.formatToParts(date)) parts[type] = value;
  const n = (type: string) => Number(parts[type] ?? "0");
  // Years before 1 CE come as "1 BC", "2 BC"…: astronomical numbering makes them 0, -1….
  const year = parts.era === "BC" ? 1 - n("year") : n("year");
  return { year, month: n("month"), day: n("day"), hour: n("hour") % 24, minute: n("minute"), second: n("second") };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function isoDate(year: number, month: number, day: number): string {
  const y = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return `${y}-${pad(month)}-${pad(day)}`;
}

function isoTime(hour: number, minute: number, second: number): string {
  return `${pad(hour)}:${pad(minute)}:${pad(second)}`;
}

/** Hours are not wrapped at 24: a duration of 25 hours is "25:00:00". */
function isoDuration(totalSeconds: number): string {
  return isoTime(Math.floor(totalSeconds / 3600), Math.floor((totalSeconds % 3600) / 60), totalSeconds % 60);
}
