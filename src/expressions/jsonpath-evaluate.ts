/**
 * @module
 * Walking a parsed JSONPath over a JSON value: nodes in document order, RFC 9535 comparison semantics (a query
 * that selects no node or several is "Nothing"), own members only.
 */
import type { CompareOp, Comparable, FilterExpr, Query, Selector } from "./jsonpath-ast.ts";

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The values `query` selects; `$` is `root`, `@` is `current`. */
export function evaluateQuery(query: Query, root: unknown, current: unknown): unknown[] {
  let nodes: unknown[] = [query.root === "$" ? root : current];
  for (const segment of query.segments) {
    const next: unknown[] = [];
    for (const node of nodes) {
      const targets = segment.descendant ? descendantsOf(node) : [node];
      for (const target of targets) {
        for (const selector of segment.selectors) select(selector, target, root, next);
      }
    }
    nodes = next;
  }
  return nodes;
}

/** The node and everything below it, pre-order (document order); iterative so deep documents cannot overflow. */
function descendantsOf(node: unknown): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const n = stack.pop();
    out.push(n);
    const children = childrenOf(n);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}

function childrenOf(node: unknown): unknown[] {
  if (Array.isArray(node)) return node;
  if (isObject(node)) return Object.values(node);
  return [];
}

function select(selector: Selector, node: unknown, root: unknown, out: unknown[]): void {
  switch (selector.kind) {
    case "name":
      // Object.hasOwn keeps `constructor`, `__proto__`… from resolving to prototype members.
      if (isObject(node) && Object.hasOwn(node, selector.name)) out.push(node[selector.name]);
      return;
    case "wildcard":
      out.push(...childrenOf(node));
      return;
    case "index":
      if (Array.isArray(node)) {
        const i = selector.index < 0 ? node.length + selector.index : selector.index;
        if (i >= 0 && i < node.length) out.push(node[i]);
      }
      return;
    case "slice":
      if (Array.isArray(node)) for (const i of sliceIndexes(selector, node.length)) out.push(node[i]);
      return;
    case "filter":
      for (const child of childrenOf(node)) {
        if (testFilter(selector.expr, root, child)) out.push(child);
      }
  }
}

/** Python / RFC 9535 slice semantics: negative bounds count from the end, a negative step walks backwards. */
function sliceIndexes(s: { start?: number; end?: number; step: number }, length: number): number[] {
  const { step } = s;
  const normalize = (i: number) => (i >= 0 ? i : length + i);
  const out: number[] = [];
  if (step > 0) {
    const lower = Math.min(Math.max(normalize(s.start ?? 0), 0), length);
    const upper = Math.min(Math.max(normalize(s.end ?? length), 0), length);
    for (let i = lower; i < upper; i += step) out.push(i);
  } else {
    const upper = Math.min(Math.max(normalize(s.start ?? length - 1), -1), length - 1);
    const lower = Math.min(Math.max(normalize(s.end ?? -length - 1), -1), length - 1);
    for (let i = upper; i > lower; i += step) out.push(i);
  }
  return out;
}

function testFilter(expr: FilterExpr, root: unknown, current: unknown): boolean {
  switch (expr.kind) {
    case "or":
      return testFilter(expr.left, root, current) || testFilter(expr.right, root, current);
    case "and":
      return testFilter(expr.left, root, current) && testFilter(expr.right, root, current);
    case "not":
      return !testFilter(expr.expr, root, current);
    case "test":
      return evaluateQuery(expr.query, root, current).length > 0;
    case "compare":
      return compare(expr.op, comparableValue(expr.left, root, current), comparableValue(expr.right, root, current));
  }
}

/** Marks a query that selected no node (or several): RFC 9535's "Nothing", equal only to itself. */
const NOTHING: unique symbol = Symbol("nothing");

function comparableValue(c: Comparable, root: unknown, current: unknown): unknown {
  if (c.kind === "literal") return c.value;
  const nodes = evaluateQuery(c.query, root, current);
  return nodes.length === 1 ? nodes[0] : NOTHING;
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case "==":
      return deepEqual(a, b);
    case "!=":
      return !deepEqual(a, b);
    case "<":
      return lessThan(a, b);
    case ">":
      return lessThan(b, a);
    case "<=":
      return lessThan(a, b) || deepEqual(a, b);
    case ">=":
      return lessThan(b, a) || deepEqual(a, b);
  }
}

/** Only numbers with numbers and strings with strings are ordered; anything else compares false. */
function lessThan(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  if (typeof a === "string" && typeof b === "string") return a < b;
  return false;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
