/**
 * A small TypeScript tokenizer for the architecture tests: it tells code from comments, strings, template
 * literals and regular expressions, so that the import scan sees every import (type-only ones too, which
 * transpilers drop) and nothing that only looks like one inside a string or a comment.
 */

export interface Token {
  kind: "id" | "str" | "punct" | "num" | "tmpl" | "regex";
  text: string;
  line: number;
}

/** After these keywords a `/` starts a regular expression, not a division. */
const EXPRESSION_KEYWORDS = new Set(["return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "instanceof", "yield", "await"]);

export function tokenize(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let depth = 0;
  /** Brace depths at which an open template literal's `${…}` closes. */
  const templates: number[] = [];
  const push = (kind: Token["kind"], text: string, at: number) => out.push({ kind, text, line: at });
  const regexAllowed = () => {
    const prev = out[out.length - 1];
    if (!prev) return true;
    if (prev.kind === "punct") return !")]}".includes(prev.text);
    return prev.kind === "id" && EXPRESSION_KEYWORDS.has(prev.text);
  };
  /** Reads template text from i (after "`" or "}") up to its end or its next "${". */
  const templateText = () => {
    const start = line;
    let text = "";
    while (i < source.length) {
      const c = source[i]!;
      if (c === "\\") {
        text += source.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === "`") {
        i++;
        push("tmpl", text, start);
        return;
      }
      if (c === "$" && source[i + 1] === "{") {
        i += 2;
        push("tmpl", text, start);
        templates.push(depth);
        depth++;
        return;
      }
      if (c === "\n") line++;
      text += c;
      i++;
    }
    throw new Error(`unterminated template literal from line ${start}`);
  };
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end === -1) throw new Error(`unterminated comment on line ${line}`);
      for (const ch of source.slice(i, end)) if (ch === "\n") line++;
      i = end + 2;
    } else if (c === '"' || c === "'") {
      const start = line;
      let text = "";
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === "\\") {
          text += source[i + 1] ?? "";
          i += 2;
          continue;
        }
        // Strings end at their line; only JSX text (an apostrophe in prose) gets here, and it holds no import.
        if (source[i] === "\n") break;
        text += source[i];
        i++;
      }
      if (source[i] === c) i++;
      push("str", text, start);
    } else if (c === "`") {
      i++;
      templateText();
    } else if (c === "}" && templates.length && templates[templates.length - 1] === depth - 1) {
      templates.pop();
      depth--;
      i++;
      templateText();
    } else if (c === "/" && regexAllowed()) {
      const start = i;
      let inClass = false;
      i++;
      while (i < source.length) {
        const r = source[i]!;
        if (r === "\\") i += 2;
        else if (r === "\n") break;
        else {
          i++;
          if (r === "[") inClass = true;
          else if (r === "]") inClass = false;
          else if (r === "/" && !inClass) break;
        }
      }
      while (i < source.length && /[a-z]/i.test(source[i]!)) i++;
      push("regex", source.slice(start, i), line);
    } else if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (i < source.length && /[\w$]/.test(source[i]!)) i++;
      push("id", source.slice(start, i), line);
    } else if (/[0-9]/.test(c)) {
      const start = i;
      while (i < source.length && /[\w.]/.test(source[i]!)) i++;
      push("num", source.slice(start, i), line);
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      // Operators are kept one character at a time: enough to tell what a "/" after them is.
      push("punct", c, line);
      i++;
    }
  }
  return out;
}

export interface ImportRef {
  specifier: string;
  /** `import type …`, `export type … from`, or every named specifier marked `type`. */
  typeOnly: boolean;
  line: number;
}

/** Every module a source imports or re-exports from, static, dynamic or in a type position, in source order. */
export function scanImports(source: string): ImportRef[] {
  const tokens = tokenize(source);
  const refs: ImportRef[] = [];
  tokens.forEach((t, k) => {
    const next = tokens[k + 1];
    if (t.kind === "id" && t.text === "from" && next?.kind === "str") {
      refs.push({ specifier: next.text, typeOnly: typeOnlyClause(tokens, k), line: next.line });
    } else if (t.kind === "id" && t.text === "import" && next?.kind === "str") {
      refs.push({ specifier: next.text, typeOnly: false, line: next.line });
    } else if (t.kind === "id" && t.text === "import" && next?.text === "(" && tokens[k + 2]?.kind === "str") {
      refs.push({ specifier: tokens[k + 2]!.text, typeOnly: false, line: t.line });
    }
  });
  return refs;
}

/** Whether the import/export clause ending at `tokens[from]` (the `from` keyword) brings in types only. */
function typeOnlyClause(tokens: Token[], from: number): boolean {
  let start = from - 1;
  while (start >= 0 && !(tokens[start]!.kind === "id" && (tokens[start]!.text === "import" || tokens[start]!.text === "export"))) start--;
  const clause = tokens.slice(start + 1, from);
  if (clause[0]?.text === "type") return true;
  if (clause[0]?.text !== "{") return false;
  // `{ type A, type B as C }`: every specifier starts with `type`.
  const specifiers: Token[][] = [[]];
  for (const t of clause.slice(1, -1)) {
    if (t.text === ",") specifiers.push([]);
    else specifiers[specifiers.length - 1]!.push(t);
  }
  return specifiers.filter((s) => s.length).every((s) => s[0]!.text === "type");
}

/** `a.b.c(` call sites: the dotted identifier paths that are called or read, e.g. `client.execute`. */
export function memberAccesses(source: string): { path: string; line: number }[] {
  const tokens = tokenize(source);
  const found: { path: string; line: number }[] = [];
  tokens.forEach((t, k) => {
    if (t.kind !== "id" || tokens[k - 1]?.text === ".") return;
    let path = t.text;
    let j = k + 1;
    while (tokens[j]?.text === "." && tokens[j + 1]?.kind === "id") {
      path += `.${tokens[j + 1]!.text}`;
      j += 2;
    }
    if (path.includes(".")) found.push({ path, line: t.line });
  });
  return found;
}
