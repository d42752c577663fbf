/**
 * @module
 * JSONPath text → AST (jsonpath-ast.ts), by recursive descent. Every error names what is wrong and its 0-based
 * position, since validation shows them to the person who wrote the expression.
 */
import { JsonPathSyntaxError, type CompareOp, type Comparable, type FilterExpr, type Query, type Segment, type Selector } from "./jsonpath-ast.ts";

/** Parses `expr`: `$`- or `@`-rooted, or a DDS-style bare path (read as if `@.` came before it). */
export function parseJsonPath(expr: string): Query {
  return new Parser(expr).parseTopLevel();
}

const WHITESPACE = /\s/;
/**
 * Characters that end a dot-notation name everywhere. Path and operator characters are among them so that an
 * XPath pasted onto a JSON page (`//a/@href`, `a|b`) is a syntax error rather than a strange member name.
 */
const NAME_STOP = new Set([".", "[", "]", "(", ")", "'", '"', "/", "|", "\\", "<", ">", "=", "!", "&", ",", "?", ";", "{", "}"]);
/** Inside filters a name also ends at operators and union commas: `@.price<10` means `price` < 10. */
const FILTER_NAME_STOP = new Set(["=", "!", "<", ">", "&", "|", ","]);
const ESCAPES: Readonly<Record<string, string>> = {
  "'": "'",
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
const COMPARE_OPS: readonly CompareOp[] = ["==", "!=", "<=", ">=", "<", ">"];

class Parser {
  private pos = 0;
  /** Depth of filter nesting; names are cut shorter inside filters. */
  private filterDepth = 0;

  constructor(private readonly src: string) {}

  parseTopLevel(): Query {
    this.skipSpace();
    if (this.pos >= this.src.length) throw new JsonPathSyntaxError("empty expression", 0);
    const query = this.parseQuery(true);
    this.skipSpace();
    if (this.pos < this.src.length) throw this.unexpected();
    return query;
  }

  /** A query rooted at `$` or `@`; at top level a bare (DDS-style) path is accepted too. */
  private parseQuery(allowBare: boolean): Query {
    const c = this.peek();
    if (c === "$" || c === "@") {
      this.pos++;
      return { root: c, segments: this.parseSegments() };
    }
    if (!allowBare) throw this.unexpected();
    // A bare path reads as if `@.` came before it; `.name`, `[0]` and `..name` need no first name.
    const first: Segment[] = c === "." || c === "[" ? [] : [this.parseBareFirst()];
    return { root: "@", segments: [...first, ...this.parseSegments()] };
  }

  private parseBareFirst(): Segment {
    const name = this.readName();
    if (name === "") throw this.unexpected();
    return { descendant: false, selectors: [nameSelector(name)] };
  }

  private parseSegments(): Segment[] {
    const segments: Segment[] = [];
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      const c = this.peek();
      if (c === "[") {
        segments.push({ descendant: false, selectors: this.parseBracket() });
      } else if (c === "." && this.src[this.pos + 1] === ".") {
        this.pos += 2;
        segments.push({ descendant: true, selectors: this.parseAfterDescendant() });
      } else if (c === ".") {
        this.pos++;
        segments.push({ descendant: false, selectors: [this.parseDotName()] });
      } else {
        this.pos = save;
        return segments;
      }
    }
  }

  private parseAfterDescendant(): Selector[] {
    if (this.peek() === "[") return this.parseBracket();
    const at = this.pos;
    const name = this.readName();
    if (name === "") throw new JsonPathSyntaxError(`expected a name, '*' or '[' after '..' at ${at}`, at);
    return [nameSelector(name)];
  }

  private parseDotName(): Selector {
    const at = this.pos;
    const name = this.readName();
    if (name === "") throw new JsonPathSyntaxError(`empty name after '.' at ${at - 1}`, at - 1);
    return nameSelector(name);
  }

  private readName(): string {
    const start = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === undefined || NAME_STOP.has(c) || WHITESPACE.test(c)) break;
      if (this.filterDepth > 0 && FILTER_NAME_STOP.has(c)) break;
      this.pos++;
    }
    return this.src.slice(start, this.pos);
  }

  private parseBracket(): Selector[] {
    const open = this.pos;
    this.pos++;
    const selectors: Selector[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.src.length) throw new JsonPathSyntaxError(`unclosed '[' at ${open}`, open);
      selectors.push(this.parseSelector());
      this.skipSpace();
      const c = this.peek();
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "]") {
        this.pos++;
        return selectors;
      }
      if (c === undefined) throw new JsonPathSyntaxError(`unclosed '[' at ${open}`, open);
      throw this.unexpected();
    }
  }

  private parseSelector(): Selector {
    const c = this.peek();
    if (c === "'" || c === '"') return { kind: "name", name: this.parseString() };
    if (c === "*") {
      this.pos++;
      return { kind: "wildcard" };
    }
    if (c === "?") {
      this.pos++;
      this.filterDepth++;
      const expr = this.parseOr();
      this.filterDepth--;
      return { kind: "filter", expr };
    }
    if (c === ":" || c === "-" || isDigit(c)) return this.parseIndexOrSlice();
    throw this.unexpected();
  }

  private parseIndexOrSlice(): Selector {
    const at = this.pos;
    const parts: (number | undefined)[] = [this.parseOptionalInt()];
    while (parts.length < 3) {
      this.skipSpace();
      if (this.peek() !== ":") break;
      this.pos++;
      this.skipSpace();
      parts.push(this.parseOptionalInt());
    }
    const [start, end, step] = parts;
    if (parts.length === 1) {
      if (start === undefined) throw this.unexpected();
      return { kind: "index", index: start };
    }
    if (step === 0) throw new JsonPathSyntaxError(`slice step must not be 0 at ${at}`, at);
    return { kind: "slice", start, end, step: step ?? 1 };
  }

  private parseOptionalInt(): number | undefined {
    const m = /^-?\d+/.exec(this.src.slice(this.pos));
    if (!m) {
      if (this.peek() === "-") throw new JsonPathSyntaxError(`expected a digit after '-' at ${this.pos + 1}`, this.pos + 1);
      return undefined;
    }
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private parseString(): string {
    const open = this.pos;
    const quote = this.src[open];
    let out = "";
    this.pos++;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new JsonPathSyntaxError(`unterminated string starting at ${open}`, open);
      this.pos++;
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      out += this.parseEscape();
    }
  }

  private parseEscape(): string {
    const at = this.pos - 1;
    const e = this.peek();
    if (e === undefined) throw new JsonPathSyntaxError(`unterminated string starting at ${at}`, at);
    this.pos++;
    const simple = ESCAPES[e];
    if (simple !== undefined) return simple;
    if (e === "u") {
      const hex = this.src.slice(this.pos, this.pos + 4);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonPathSyntaxError(`invalid escape '\\u${hex}' at ${at}`, at);
      this.pos += 4;
      return String.fromCharCode(parseInt(hex, 16));
    }
    throw new JsonPathSyntaxError(`invalid escape '\\${e}' at ${at}`, at);
  }

  // Filter expressions: or → and → unary → comparison | ( or ) | ! unary

  private parseOr(): FilterExpr {
    let left = this.parseAnd();
    for (;;) {
      this.skipSpace();
      if (!this.src.startsWith("||", this.pos)) return left;
      this.pos += 2;
      left = { kind: "or", left, right: this.parseAnd() };
    }
  }

  private parseAnd(): FilterExpr {
    let left = this.parseUnary();
    for (;;) {
      this.skipSpace();
      if (!this.src.startsWith("&&", this.pos)) return left;
      this.pos += 2;
      left = { kind: "and", left, right: this.parseUnary() };
    }
  }

  private parseUnary(): FilterExpr {
    this.skipSpace();
    const c = this.peek();
    if (c === "!" && this.src[this.pos + 1] !== "=") {
      this.pos++;
      return { kind: "not", expr: this.parseUnary() };
    }
    if (c === "(") {
      const open = this.pos;
      this.pos++;
      const expr = this.parseOr();
      this.skipSpace();
      if (this.peek() !== ")") {
        if (this.pos >= this.src.length) throw new JsonPathSyntaxError(`unclosed '(' at ${open}`, open);
        throw this.unexpected();
      }
      this.pos++;
      return expr;
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterExpr {
    const at = this.pos;
    const left = this.parseComparable();
    this.skipSpace();
    const op = COMPARE_OPS.find((o) => this.src.startsWith(o, this.pos));
    if (op === undefined) {
      // A literal alone would be a constant filter, which is always a mistake in a scraper definition.
      if (left.kind === "literal") {
        throw new JsonPathSyntaxError(`a literal must be compared with something, at ${at}`, at);
      }
      return { kind: "test", query: left.query };
    }
    this.pos += op.length;
    this.skipSpace();
    return { kind: "compare", op, left, right: this.parseComparable() };
  }

  private parseComparable(): Comparable {
    this.skipSpace();
    const c = this.peek();
    if (c === undefined) {
      throw new JsonPathSyntaxError(`expected a filter expression at ${this.pos}`, this.pos);
    }
    if (c === "$" || c === "@") return { kind: "query", query: this.parseQuery(false) };
    if (c === "'" || c === '"') return { kind: "literal", value: this.parseString() };
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.src.slice(this.pos));
    if (number) {
      this.pos += number[0].length;
      return { kind: "literal", value: Number(number[0]) };
    }
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.src.startsWith(word, this.pos) && !/[\w]/.test(this.src[this.pos + word.length] ?? "")) {
        this.pos += word.length;
        return { kind: "literal", value };
      }
    }
    throw this.unexpected();
  }

  private skipSpace(): void {
    while (this.pos < this.src.length && WHITESPACE.test(this.src[this.pos] ?? "")) this.pos++;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private unexpected(): JsonPathSyntaxError {
    const c = this.peek();
    if (c === undefined) return new JsonPathSyntaxError(`unexpected end of expression at ${this.pos}`, this.pos);
    return new JsonPathSyntaxError(`unexpected '${c}' at ${this.pos}`, this.pos);
  }
}

/** In dot notation `*` alone is the wildcard; anything else, `*` included, is a member name. */
function nameSelector(name: string): Selector {
  return name === "*" ? { kind: "wildcard" } : { kind: "name", name };
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}
