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
 * Applies an elem's regex to one extracted string: the named group `extract` when the pattern has one,
 * otherwise every match (each match's groups when it has groups, else the whole match), as Scrapy's `re()` does.
 */
export function applyRegex(re: RegExp, text: string): string[] {
  const global = re.global ? re : new RegExp(re.source, re.flags + "g");
  const out: string[] = [];
  for (const m of text.matchAll(global)) {
    if (m.groups && "extract" in m.groups) {
      if (m.groups.extract !== undefined) out.push(m.groups.extract);
    } else if (m.length > 1) {
      for (const g of m.slice(1)) if (g !== undefined) out.push(g);
    } else {
      out.push(m[0]);
    }
  }
  return out;
}
