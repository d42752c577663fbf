/**
 * @module
 * Python literals as django-dynamic-scraper stores them in text fields: `proc_ctxt` and the scheduler
 * configurations are Python dict bodies, `pagination_page_replace` a list body, which DDS evaluates with
 * `ast.literal_eval`.
 */
export type PyValue = string | number | boolean | null;
export type DictBodyResult = { value: Record<string, PyValue> } | { error: string };
export type ListBodyResult = { value: PyValue[] } | { error: string };

/**
 * Reads a Python dict body (the text between `{` and `}`) as DDS does with `ast.literal_eval("{" + text + "}")`:
 * `'pre_url': 'http://example.org/', "date": "%d.%m.%Y"`. Keys are quoted strings; values are strings (either
 * quote, `r`/`u` prefixes, triple quotes, backslash escapes, adjacent strings joined), int and float literals,
 * True, False or None. Leading and trailing commas are allowed because DDS strips them before evaluating; `#`
 * comments are skipped. A repeated key keeps its last value, as in Python.
 */
export function parseDictBody(text: string): DictBodyResult {
  return read(() => new PyReader(text).dictBody());
}

/** A Python list body (the text between `[` and `]`): `0, 40, 10` or `'a-d', 'e-h'`. */
export function parseListBody(text: string): ListBodyResult {
  return read(() => new PyReader(text).listBody());
}

function read<T>(parse: () => T): { value: T } | { error: string } {
  try {
    return { value: parse() };
  } catch (e) {
    if (e instanceof PySyntaxError) return { error: e.message };
    throw e;
  }
}

class PySyntaxError extends Error {
  constructor(message: string, at: number) {
    super(`${message} (at character ${at + 1})`);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

const DIGITS = String.raw`\d(?:_?\d)*`;
const DECIMAL_NUMBER = new RegExp(String.raw`^(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?`);
const PREFIXED_INT = /^0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)/;

class PyReader {
  private i = 0;

  constructor(private readonly text: string) {}

  dictBody(): Record<string, PyValue> {
    const out: Record<string, PyValue> = {};
    this.skipSpaceAndCommas();
    while (this.i < this.text.length) {
      const keyAt = this.i;
      if (!this.atString()) throw new PySyntaxError(`expected a quoted key, found ${this.describeHere()}`, keyAt);
      const key = this.strings();
      this.skipSpace();
      if (this.text[this.i] !== ":") throw new PySyntaxError(`expected ":" after key ${pyRepr(key)}, found ${this.describeHere()}`, this.i);
      this.i++;
      this.skipSpace();
      const value = this.value();
      // defineProperty, not assignment: a key "__proto__" must stay an ordinary key.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      if (this.i >= this.text.length) break;
      if (this.text[this.i] !== ",") throw new PySyntaxError(`expected "," after the value of ${pyRepr(key)}, found ${this.describeHere()}`, this.i);
      this.i++;
      this.skipSpace();
      if (this.text[this.i] === ",") {
        const extraAt = this.i;
        this.skipSpaceAndCommas();
        if (this.i < this.text.length) throw new PySyntaxError('unexpected ","', extraAt);
      }
    }
    return out;
  }

  listBody(): PyValue[] {
    const out: PyValue[] = [];
    this.skipSpace();
    while (this.i < this.text.length) {
      out.push(this.value());
      this.skipSpace();
      if (this.i >= this.text.length) break;
      if (this.text[this.i] !== ",") throw new PySyntaxError(`expected "," after item ${out.length}, found ${this.describeHere()}`, this.i);
      this.i++;
      this.skipSpace();
    }
    return out;
  }

  private value(): PyValue {
    const at = this.i;
    if (this.atString()) return this.strings();
    const ch = this.text[at];
    if (ch === undefined) throw new PySyntaxError("expected a value, found the end of the text", at);
    if (ch === "+" || ch === "-" || ch === "." || /\d/.test(ch)) return this.number();
    const name = /^[A-Za-z_]\w*/.exec(this.text.slice(at))?.[0];
    if (name !== undefined) {
      this.i += name.length;
      if (name === "True") return true;
      if (name === "False") return false;
      if (name === "None") return null;
      throw new PySyntaxError(`unknown name ${name}: text must be quoted ('${name}'), and Python writes True, False and None`, at);
    }
    const kind = ch === "{" ? "a dict" : ch === "[" ? "a list" : ch === "(" ? "a tuple" : undefined;
    if (kind) throw new PySyntaxError(`values must be strings, numbers, True, False or None, not ${kind}`, at);
    throw new PySyntaxError(`expected a value, found ${this.describeHere()}`, at);
  }

  private number(): number {
    const at = this.i;
    let sign = 1;
    if (this.text[this.i] === "+" || this.text[this.i] === "-") {
      if (this.text[this.i] === "-") sign = -1;
      this.i++;
      this.skipSpace();
    }
    const rest = this.text.slice(this.i);
    const prefixed = PREFIXED_INT.exec(rest)?.[0];
    const literal = prefixed ?? DECIMAL_NUMBER.exec(rest)?.[0];
    if (literal === undefined) throw new PySyntaxError(`expected a number, found ${this.describeHere()}`, at);
    this.i += literal.length;
    if (/^[\w.]/.test(this.text.slice(this.i))) {
      throw new PySyntaxError(`invalid number ${this.text.slice(at, this.i + 1)}`, at);
    }
    const digits = literal.replaceAll("_", "");
    if (prefixed !== undefined) {
      const base = { x: 16, o: 8, b: 2 }[digits[1]!.toLowerCase() as "x" | "o" | "b"];
      return sign * Number.parseInt(digits.slice(2), base);
    }
    // Python 3 rejects 015 (an old octal literal) but accepts 0, 00 and 015.0.
    if (/^0+[1-9]\d*$/.test(digits)) throw new PySyntaxError(`leading zeros are not allowed in ${literal}`, at);
    return sign * Number(digits);
  }

  private atString(): boolean {
    return /^(?:[rRuUbBfF]|[rR][bBfF]|[bBfF][rR])?['"]/.test(this.text.slice(this.i, this.i + 3));
  }

  /** One string literal, or several written next to each other (`'a' "b"` is `'ab'` in Python). */
  private strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.i;
      this.skipSpace();
      if (!this.atString()) {
        this.i = save;
        return out;
      }
      out += this.string();
    }
  }

  private string(): string {
    const at = this.i;
    let raw = false;
    while (this.text[this.i] !== "'" && this.text[this.i] !== '"') {
      const p = this.text[this.i]!.toLowerCase();
      if (p === "b") throw new PySyntaxError("bytes literals are not supported", at);
      if (p === "f") throw new PySyntaxError("f-strings are not literals", at);
      if (p === "r") raw = true;
      this.i++;
    }
    const quote = this.text[this.i]!;
    const triple = this.text.startsWith(quote.repeat(3), this.i);
    const end = triple ? quote.repeat(3) : quote;
    this.i += end.length;
    let out = "";
    for (;;) {
      if (this.i >= this.text.length) throw new PySyntaxError("unterminated string", at);
      if (this.text.startsWith(end, this.i)) {
        this.i += end.length;
        return out;
      }
      const ch = this.text[this.i]!;
      if (!triple && (ch === "\n" || ch === "\r")) throw new PySyntaxError("unterminated string (a line break inside quotes)", at);
      if (ch !== "\\") {
        out += ch;
        this.i++;
        continue;
      }
      const next = this.text[this.i + 1];
      if (next === undefined) throw new PySyntaxError("unterminated string", at);
      if (raw) {
        // A raw string keeps the backslash; it still stops the next character from closing the string.
        out += ch + next;
        this.i += 2;
        continue;
      }
      out += this.escape();
    }
  }

  /** The escape at `this.i` (a backslash), consumed. */
  private escape(): string {
    const at = this.i;
    const next = this.text[at + 1]!;
    this.i += 2;
    if (next === "\n") return "";
    if (next === "\r") {
      if (this.text[this.i] === "\n") this.i++;
      return "";
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) return simple;
    if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(this.text.slice(at + 1))![0];
      this.i = at + 1 + octal.length;
      return String.fromCodePoint(Number.parseInt(octal, 8));
    }
    const hexLength = next === "x" ? 2 : next === "u" ? 4 : next === "U" ? 8 : 0;
    if (hexLength) {
      const hex = this.text.slice(this.i, this.i + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) {
        throw new PySyntaxError(`truncated \\${next} escape (needs ${hexLength} hex digits)`, at);
      }
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw new PySyntaxError(`\\${next}${hex} is not a Unicode code point`, at);
      this.i += hexLength;
      return String.fromCodePoint(code);
    }
    if (next === "N") throw new PySyntaxError("\\N{…} escapes are not supported", at);
    // Python keeps an unknown escape as written. DDS relies on it: substr_replace's `\:` reaches the processor.
    return `\\${next}`;
  }

  private skipSpace(): void {
    for (;;) {
      const ch = this.text[this.i];
      if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || ch === "\f" || ch === "\v") this.i++;
      else if (ch === "\\" && (this.text[this.i + 1] === "\n" || this.text[this.i + 1] === "\r")) this.i += 2;
      else if (ch === "#") {
        while (this.i < this.text.length && this.text[this.i] !== "\n") this.i++;
      } else return;
    }
  }

  private skipSpaceAndCommas(): void {
    this.skipSpace();
    while (this.text[this.i] === ",") {
      this.i++;
      this.skipSpace();
    }
  }

  private describeHere(): string {
    const ch = this.text[this.i];
    if (ch === undefined) return "the end of the text";
    if (ch === "\n" || ch === "\r") return "a line break";
    return ch === '"' ? `'"'` : `"${ch}"`;
  }
}

/** How Python would print a literal, for messages that quote the user's DDS text back. */
export function pyRepr(value: PyValue): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const escaped = value.replace(/[\\\n\r\t]/g, (c) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c] ?? c);
  return quote + (quote === "'" ? escaped.replaceAll("'", "\\'") : escaped) + quote;
}

