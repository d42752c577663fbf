/**
 * @module
 * `reg_exp` of a scraper elem. DDS users write Python regexes, so Python's named-group syntax
 * (`(?P<extract>…)`, `(?P=name)`) and leading inline flags (`(?i)`, `(?s)`, `(?m)`) are accepted and translated;
 * everything else is JavaScript RegExp syntax.
 */

export class RegexSyntaxError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid regular expression: ${reason}`);
    this.name = "RegexSyntaxError";
  }
}

const cache = new Map<string, RegExp>();

/** Compiled once per pattern and flags: processors run it on every value. Throws RegexSyntaxError. */
export function compileRegex(pattern: string, flags = ""): RegExp {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) cache.set(key, (re = translate(pattern, flags)));
  return re;
}

function translate(pattern: string, flags: string): RegExp {
  let js = pattern.replace(/\(\?P<([A-Za-z_]\w*)>/g, "(?<$1>").replace(/\(\?P=([A-Za-z_]\w*)\)/g, "\\k<$1>");
  const inline = /^\(\?([aiLmsux]+)\)/.exec(js);
  if (inline) {
    if (/[xL]/.test(inline[1]!)) throw new RegexSyntaxError(pattern, `Python's inline flag (?${inline[1]}) has no JavaScript equivalent`);
    // a (ASCII) and u (Unicode) only change what \w matches in Python; JavaScript's \w is ASCII anyway.
    for (const f of inline[1]!.replace(/[au]/g, "")) if (!flags.includes(f)) flags += f;
    js = js.slice(inline[0].length);
  }
  try {
    return new RegExp(js, flags);
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, "") : String(e);
    throw new RegexSyntaxError(pattern, reason);
  }
}

/**
 * How the regex engine of the binary (JavaScriptCore, in Bun) fails on a regex that backtracks too much, such as
 * `(?:a|a)+c|b` on 25 or more `a`s then `b` (every way to split the `a`s is tried before `b` is): after a fixed
 * amount of backtracking work (about half a second of CPU here, whatever the load) `exec` gives up and returns
 * null — "no match" — without an error, where V8 (Node) finds `b`. A value is then silently missing. The give-up
 * cannot be told from a true "no match" by the answer, only by the work it took: a search that ends with no
 * match after {@link GIVE_UP_SUSPECT_MS} is suspect, and then a bounded retry looks for a match the engine missed
 * (one position at a time, from the end, where the backtracking is shortest).
 */
export interface RegexGiveUp {
  /** The length (UTF-16 units) of the value the regex ran on. */
  valueLength: number;
  /** How long the search that found nothing took. */
  elapsedMs: number;
  /** Where a retry found a match the engine had missed (0-based), proving the give-up; absent when none was found. */
  missedMatchAt?: number;
}

/** A search that ends with no match after this long may have been given up (a true miss takes microseconds). */
export const GIVE_UP_SUSPECT_MS = 50;

const sticky = new WeakMap<RegExp, RegExp>();

/**
 * Applies an elem's regex to one extracted string: the named group `extract` when the pattern has one,
 * otherwise every match (each match's groups when it has groups, else the whole match), as Scrapy's `re()` does.
 * `onGiveUp` hears when the engine may have given up (see {@link RegexGiveUp}); the values are the engine's either
 * way, so a run reads the same values whatever the machine's load.
 */
export function applyRegex(re: RegExp, text: string, onGiveUp?: (giveUp: RegexGiveUp) => void, now: () => number = () => performance.now()): string[] {
  const global = re.global ? re : new RegExp(re.source, re.flags + "g");
  const out: string[] = [];
  global.lastIndex = 0;
  for (;;) {
    const from = global.lastIndex;
    const started = onGiveUp ? now() : 0;
    const m = global.exec(text);
    if (!m) {
      const elapsedMs = onGiveUp ? now() - started : 0;
      if (onGiveUp && elapsedMs >= GIVE_UP_SUSPECT_MS) onGiveUp(retry(global, text, from, elapsedMs, now));
      return out;
    }
    // An empty match moves on by one character, as matchAll does.
    if (m[0] === "") global.lastIndex = advance(text, global.lastIndex, global.flags.includes("u") || global.flags.includes("v"));
    if (m.groups && "extract" in m.groups) {
      if (m.groups.extract !== undefined) out.push(m.groups.extract);
    } else if (m.length > 1) {
      for (const g of m.slice(1)) if (g !== undefined) out.push(g);
    } else {
      out.push(m[0]);
    }
  }
}

/**
 * The bounded retry after a suspect "no match" from `from`: the regex anchored at each position from the end of
 * the value back towards `from`, for at most twice the time the search took. Any match proves the give-up.
 */
function retry(re: RegExp, text: string, from: number, elapsedMs: number, now: () => number): RegexGiveUp {
  let y = sticky.get(re);
  if (!y) sticky.set(re, (y = new RegExp(re.source, re.flags.replace("g", "") + "y")));
  const deadline = now() + 2 * elapsedMs;
  for (let at = text.length; at > from && now() < deadline; at--) {
    y.lastIndex = at;
    if (y.exec(text)) return { valueLength: text.length, elapsedMs, missedMatchAt: at };
  }
  return { valueLength: text.length, elapsedMs };
}

function advance(text: string, index: number, unicode: boolean): number {
  if (!unicode || index + 1 >= text.length) return index + 1;
  const code = text.charCodeAt(index);
  return code >= 0xd800 && code <= 0xdbff ? index + 2 : index + 1;
}
