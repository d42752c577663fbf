/**
 * @module
 * The shape of a compiled JSONPath (RFC 9535's segments, selectors and filter expressions) and the error of an
 * expression that does not parse. jsonpath-parser.ts builds it, jsonpath-evaluate.ts walks it.
 */

/** A malformed expression; `position` is the 0-based offset in the expression where the problem is. */
export class JsonPathSyntaxError extends Error {
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = "JsonPathSyntaxError";
    this.position = position;
  }
}

export type Selector =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "wildcard" }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "slice"; readonly start?: number; readonly end?: number; readonly step: number }
  | { readonly kind: "filter"; readonly expr: FilterExpr };

export interface Segment {
  readonly descendant: boolean;
  readonly selectors: readonly Selector[];
}

export interface Query {
  readonly root: "$" | "@";
  readonly segments: readonly Segment[];
}

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

export type Comparable = { readonly kind: "literal"; readonly value: unknown } | { readonly kind: "query"; readonly query: Query };

export type FilterExpr =
  | { readonly kind: "or" | "and"; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly kind: "not"; readonly expr: FilterExpr }
  | { readonly kind: "test"; readonly query: Query }
  | { readonly kind: "compare"; readonly op: CompareOp; readonly left: Comparable; readonly right: Comparable };
