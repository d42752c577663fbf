/**
 * @module
 * Lexical analysis of SQL text, following SQLite's tokenizer (tokenize.c), for what the native
 * `libsql` module does not expose but Hrana needs:
 * - splitting a text into statements (`sequence`, and rejecting several statements in `execute`,
 *   which `prepare` would silently truncate), using the state machine of `sqlite3_complete` so that
 *   semicolons inside `CREATE TRIGGER … BEGIN … END` do not split;
 * - the parameters of a statement with SQLite's numbering (`?`, `?NNN`, `:name`, `@name`, `$name`),
 *   to bind named arguments and to describe statements (binding objects in `libsql` aborts the
 *   process when a statement mixes named and nameless parameters, so everything binds by position);
 * - whether a statement is an `EXPLAIN` (which runs nothing).
 */

export interface SqlStatement {
  /** The statement's text, from its first token up to (not including) its terminating semicolon. */
  text: string;
  /** `params[i]` is the name of parameter `i + 1` (with its prefix), `null` for `?` parameters. */
  params: (string | null)[];
  /** `EXPLAIN …` or `EXPLAIN QUERY PLAN …`. */
  isExplain: boolean;
}

type TokenKind = "space" | "semi" | "word" | "variable" | "other";

interface Token {
  kind: TokenKind;
  start: number;
  end: number;
}

/** Splits `sql` into its statements; statements made only of spaces and comments are left out. */
export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let current: Token[] = [];
  let state = State.Start;
  const flush = () => {
    const meaningful = current.filter((t) => t.kind !== "space");
    if (meaningful.length > 0) statements.push(describeStatement(sql, current));
    current = [];
  };
  for (const token of tokenize(sql)) {
    state = transition(state, completeToken(sql, token));
    if (token.kind === "semi" && state === State.Start) {
      flush();
    } else {
      current.push(token);
    }
  }
  flush();
  return statements;
}

// The states and transitions of sqlite3_complete() (complete.c), which tell whether a semicolon
// ends the statement: inside a trigger body only ";END;" does.
enum State {
  Start = 1,
  Normal = 2,
  Explain = 3,
  Create = 4,
  Trigger = 5,
  Semi = 6,
  End = 7,
}

enum CompleteToken {
  Semi = 0,
  Space = 1,
  Other = 2,
  Explain = 3,
  Create = 4,
  Temp = 5,
  Trigger = 6,
  End = 7,
}

const TRANSITIONS: readonly (readonly State[])[] = [
  /* unused */ [],
  /* Start   */ [State.Start, State.Start, State.Normal, State.Explain, State.Create, State.Normal, State.Normal, State.Normal],
  /* Normal  */ [State.Start, State.Normal, State.Normal, State.Normal, State.Normal, State.Normal, State.Normal, State.Normal],
  /* Explain */ [State.Start, State.Explain, State.Explain, State.Normal, State.Create, State.Normal, State.Normal, State.Normal],
  /* Create  */ [State.Start, State.Create, State.Normal, State.Normal, State.Normal, State.Create, State.Trigger, State.Normal],
  /* Trigger */ [State.Semi, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger],
  /* Semi    */ [State.Semi, State.Semi, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.End],
  /* End     */ [State.Start, State.End, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger],
];

function transition(state: State, token: CompleteToken): State {
  return (TRANSITIONS[state] as readonly State[])[token] as State;
}

function completeToken(sql: string, token: Token): CompleteToken {
  switch (token.kind) {
    case "semi":
      return CompleteToken.Semi;
    case "space":
      return CompleteToken.Space;
    case "word":
      switch (sql.slice(token.start, token.end).toUpperCase()) {
        case "EXPLAIN":
          return CompleteToken.Explain;
        case "CREATE":
          return CompleteToken.Create;
        case "TEMP":
        case "TEMPORARY":
          return CompleteToken.Temp;
        case "TRIGGER":
          return CompleteToken.Trigger;
        case "END":
          return CompleteToken.End;
        default:
          return CompleteToken.Other;
      }
    default:
      return CompleteToken.Other;
  }
}

function describeStatement(sql: string, tokens: Token[]): SqlStatement {
  const meaningful = tokens.filter((t) => t.kind !== "space");
  const first = meaningful[0] as Token;
  const last = meaningful[meaningful.length - 1] as Token;
  return {
    text: sql.slice(first.start, last.end),
    params: numberParameters(sql, meaningful),
    isExplain: first.kind === "word" && sql.slice(first.start, first.end).toUpperCase() === "EXPLAIN",
  };
}

const MAX_VARIABLE_NUMBER = 32766;

/** The numbering of sqlite3ExprAssignVarNumber(). */
function numberParameters(sql: string, tokens: Token[]): (string | null)[] {
  const names: (string | null)[] = [];
  const byName = new Map<string, number>();
  for (const token of tokens) {
    if (token.kind !== "variable") continue;
    const text = sql.slice(token.start, token.end);
    if (text === "?") {
      names.push(null);
    } else if (text.startsWith("?")) {
      const index = Number(text.slice(1));
      // Out-of-range numbers make prepare() fail, which reports the error.
      if (!Number.isInteger(index) || index < 1 || index > MAX_VARIABLE_NUMBER) continue;
      while (names.length < index) names.push(null);
      if (names[index - 1] === null && !byName.has(text)) {
        names[index - 1] = text;
        byName.set(text, index);
      }
    } else if (!byName.has(text)) {
      names.push(text);
      byName.set(text, names.length);
    }
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

/** Characters of identifiers (IdChar in SQLite): letters, digits, `_`, `$` and all non-ASCII. */
function isIdChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  return /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
}

function isIdStart(c: string | undefined): boolean {
  if (c === undefined) return false;
  return /[A-Za-z_]/.test(c) || c.charCodeAt(0) >= 0x80;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\f" || c === "\r";
}

function* tokenize(sql: string): Generator<Token> {
  let i = 0;
  while (i < sql.length) {
    const start = i;
    const kind = scanToken(sql, i);
    i = kind.end;
    yield { kind: kind.kind, start, end: i };
  }
}

function scanToken(sql: string, i: number): { kind: TokenKind; end: number } {
  const c = sql[i];
  const next = sql[i + 1];
  if (isSpace(c)) {
    let j = i + 1;
    while (isSpace(sql[j])) j++;
    return { kind: "space", end: j };
  }
  if (c === "-" && next === "-") {
    const newline = sql.indexOf("\n", i + 2);
    return { kind: "space", end: newline < 0 ? sql.length : newline + 1 };
  }
  if (c === "/" && next === "*") {
    const close = sql.indexOf("*/", i + 2);
    return { kind: "space", end: close < 0 ? sql.length : close + 2 };
  }
  if (c === ";") return { kind: "semi", end: i + 1 };
  if (c === "'" || c === '"' || c === "`") return { kind: "other", end: scanQuoted(sql, i, c) };
  if (c === "[") {
    const close = sql.indexOf("]", i + 1);
    return { kind: "other", end: close < 0 ? sql.length : close + 1 };
  }
  if ((c === "x" || c === "X") && next === "'") return { kind: "other", end: scanQuoted(sql, i + 1, "'") };
  if (isDigit(c) || (c === "." && isDigit(next))) return { kind: "other", end: scanNumber(sql, i) };
  if (c === "?") {
    let j = i + 1;
    while (isDigit(sql[j])) j++;
    return { kind: "variable", end: j };
  }
  if (c === "$" || c === "@" || c === ":" || c === "#") return scanNamedVariable(sql, i);
  if (isIdStart(c)) {
    let j = i + 1;
    while (isIdChar(sql[j])) j++;
    return { kind: "word", end: j };
  }
  return { kind: "other", end: i + 1 };
}

/** A quoted string or identifier; a doubled quote is an escaped quote. Unterminated runs to the end. */
function scanQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return j + 1;
    } else {
      j++;
    }
  }
  return sql.length;
}

/** Numbers, including hex, exponents and digit separators; trailing identifier characters stick, as in SQLite. */
function scanNumber(sql: string, i: number): number {
  let j = i;
  while (j < sql.length) {
    const c = sql[j];
    if ((c === "e" || c === "E") && (sql[j + 1] === "+" || sql[j + 1] === "-") && isDigit(sql[j + 2])) {
      j += 3;
    } else if (isIdChar(c) || c === ".") {
      j++;
    } else {
      break;
    }
  }
  return j;
}

/**
 * `$name`, `@name`, `:name` and `#name`. Like SQLite (with TCL variables enabled), `$`-style names
 * may contain `::` and end with a `(…)` suffix. A prefix with no name is an illegal token that
 * prepare() rejects; it is not counted as a parameter.
 */
function scanNamedVariable(sql: string, i: number): { kind: TokenKind; end: number } {
  let j = i + 1;
  let nameChars = 0;
  while (j < sql.length) {
    const c = sql[j];
    if (isIdChar(c)) {
      nameChars++;
      j++;
    } else if (c === "(" && nameChars > 0) {
      j++;
      while (j < sql.length && !isSpace(sql[j]) && sql[j] !== ")") j++;
      if (sql[j] === ")") j++;
      break;
    } else if (c === ":" && sql[j + 1] === ":") {
      j += 2;
    } else {
      break;
    }
  }
  if (nameChars === 0) return { kind: "other", end: j };
  // `#1` style names are only valid in SQLite's nested parses; prepare() rejects them.
  if (sql[i] === "#" && isDigit(sql[i + 1])) return { kind: "other", end: j };
  return { kind: "variable", end: j };
}
