/**
 * @module
 * XPath 1.0 through wicked-good-xpath. Expressions are compiled once (per definition, not per page) and then
 * evaluated against any linkedom node.
 */
import wgxpath from "wicked-good-xpath";

/** A compiled expression; `evaluate` takes any DOM node of any document. */
export interface CompiledXPath {
  readonly source: string;
  evaluate(node: unknown, resultType: number): XPathResultLike;
}

export interface XPathResultLike {
  readonly resultType: number;
  readonly snapshotLength: number;
  snapshotItem(i: number): unknown;
  readonly stringValue: string;
  readonly numberValue: number;
  readonly booleanValue: boolean;
}

export const ANY_TYPE = 0;
export const ORDERED_NODE_SNAPSHOT_TYPE = 7;

export class XPathSyntaxError extends Error {
  constructor(readonly expression: string, reason: string) {
    super(`invalid XPath: ${reason}`);
    this.name = "XPathSyntaxError";
  }
}

interface WgxDocument {
  createExpression(expr: string, resolver: null): { evaluate(node: unknown, type: number, result: null): XPathResultLike };
}

// wgxpath installs itself into a window-like object. Its expression objects are independent of any document,
// so one private holder is enough for the whole process; the linkedom documents are never patched.
const holder = { document: {} as WgxDocument };
wgxpath.install(holder, true);

const cache = new Map<string, CompiledXPath>();

/** The XPath 1.0 function library (what wicked-good-xpath implements). */
const FUNCTIONS = new Set([
  "last", "position", "count", "id", "local-name", "namespace-uri", "name", "string", "concat", "starts-with",
  "contains", "substring-before", "substring-after", "substring", "string-length", "normalize-space", "translate",
  "boolean", "not", "true", "false", "lang", "number", "sum", "floor", "ceiling", "round",
]);
const NODE_TESTS = new Set(["node", "text", "comment", "processing-instruction"]);

/**
 * wicked-good-xpath fails on an unknown function with an engine TypeError ("null is not an object…") that says
 * nothing useful and differs between runtimes, so calls are checked against the library first.
 */
function unknownFunction(expression: string): string | undefined {
  const outsideStrings = expression.replace(/"[^"]*"|'[^']*'/g, '""');
  for (const m of outsideStrings.matchAll(/(?<![\w.:@$-])([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*\(/g)) {
    const name = m[1]!;
    if (!FUNCTIONS.has(name) && !NODE_TESTS.has(name)) return name;
  }
  return undefined;
}

export function compileXPath(expression: string): CompiledXPath {
  const hit = cache.get(expression);
  if (hit) return hit;
  const unknown = unknownFunction(expression);
  if (unknown) throw new XPathSyntaxError(expression, `unknown function ${unknown}() (XPath 1.0 has ${[...FUNCTIONS].join(", ")})`);
  let compiled;
  try {
    compiled = holder.document.createExpression(expression, null);
  } catch (e) {
    throw new XPathSyntaxError(expression, e instanceof Error ? e.message.replace(/\.$/, "") : String(e));
  }
  const result: CompiledXPath = {
    source: expression,
    evaluate: (node, resultType) => compiled.evaluate(node, resultType, null),
  };
  cache.set(expression, result);
  return result;
}
