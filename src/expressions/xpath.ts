/**
 * @module
 * XPath 1.0 through wicked-good-xpath. Expressions are compiled once (per definition, not per page) and then
 * evaluated against any linkedom node.
 */
import wgxpath from "wicked-good-xpath";
import { patchWickedGoodXPath, prefixStandIn } from "./xpath-names.ts";

/** A compiled expression; `evaluate` takes any DOM node of any document. */
export interface CompiledXPath {
  readonly source: string;
  evaluate(node: unknown, resultType: number): XPathResultLike;
  /** The strings it selects from `node`, in document order (one string for a scalar expression). */
  strings(node: unknown): string[];
  /** The nodes it selects from `node`, in document order (none for a scalar expression). */
  nodes(node: unknown): Node[];
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
const NUMBER_TYPE = 1;
const BOOLEAN_TYPE = 3;
const UNORDERED_NODE_ITERATOR_TYPE = 4;
export const ORDERED_NODE_SNAPSHOT_TYPE = 7;

export class XPathSyntaxError extends Error {
  constructor(readonly expression: string, reason: string) {
    super(`invalid XPath: ${reason}`);
    this.name = "XPathSyntaxError";
  }
}

interface WgxDocument {
  createExpression(expr: string, resolver: (prefix: string) => string | null): { evaluate(node: unknown, type: number, result: null): XPathResultLike };
}

// wgxpath installs itself into a window-like object. Its expression objects are independent of any document,
// so one private holder is enough for the whole process; the linkedom documents are never patched.
const holder = { document: {} as WgxDocument };
wgxpath.install(holder, true);
patchWickedGoodXPath(holder.document);

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
    // Any prefix compiles: what it means is read from each page (see xpath-names.ts).
    compiled = holder.document.createExpression(expression, prefixStandIn);
  } catch (e) {
    throw new XPathSyntaxError(expression, e instanceof Error ? e.message.replace(/\.$/, "") : String(e));
  }
  const evaluate = (node: unknown, resultType: number) => compiled.evaluate(node, resultType, null);
  // Whether an XPath 1.0 expression yields a node-set is fixed by its syntax; asking once (on the first node it
  // meets) lets every later call request an ordered snapshot directly, since wgxpath's default iterator is
  // not in document order.
  let returnsNodes: boolean | undefined;
  const isNodeSet = (node: unknown) => (returnsNodes ??= evaluate(node, ANY_TYPE).resultType === UNORDERED_NODE_ITERATOR_TYPE);
  const result: CompiledXPath = {
    source: expression,
    evaluate,
    nodes(node) {
      if (!isNodeSet(node)) return [];
      const r = evaluate(node, ORDERED_NODE_SNAPSHOT_TYPE);
      const out: Node[] = new Array(r.snapshotLength);
      for (let i = 0; i < r.snapshotLength; i++) out[i] = r.snapshotItem(i) as Node;
      return out;
    },
    strings(node) {
      if (isNodeSet(node)) return result.nodes(node).map(nodeString);
      const r = evaluate(node, ANY_TYPE);
      return [r.resultType === NUMBER_TYPE ? String(r.numberValue) : r.resultType === BOOLEAN_TYPE ? String(r.booleanValue) : r.stringValue];
    },
  };
  cache.set(expression, result);
  return result;
}

/**
 * What a selected node contributes as a value, as Scrapy's `extract()` gives it (DDS users' expectation): an
 * attribute its value, text its text, an element its markup.
 */
export function nodeString(node: Node): string {
  switch (node.nodeType) {
    case 1:
      return (node as Element).outerHTML;
    case 2:
      return (node as Attr).value;
    case 9:
      return (node as Document).documentElement?.outerHTML ?? "";
    default:
      return node.nodeValue ?? node.textContent ?? "";
  }
}

