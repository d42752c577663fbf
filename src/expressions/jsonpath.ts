/**
 * @module
 * JSONPath for JSON pages: a hand-written compiler and evaluator (Goessner / RFC 9535 subset).
 *
 * Expressions are parsed once into a small AST and evaluated by walking it, so no `eval` or `new Function`
 * is needed (Cloudflare Workers forbid both). Besides `$`- and `@`-rooted paths, DDS-style bare paths
 * (`title`, `author.name`, `items[0]`) are accepted and run relative to the current node.
 *
 * Why not a library: bench/jsonpath.ts compares this with RFC 9535 libraries on a JSON page; they were slower
 * on the crawl's pattern (one base path, then each elem path on each base object) and their error messages
 * do not name the problem the way validation reports it.
 */
import { evaluateQuery } from "./jsonpath-evaluate.ts";
import { parseJsonPath } from "./jsonpath-parser.ts";

export { JsonPathSyntaxError } from "./jsonpath-ast.ts";

/** A compiled expression. `evaluate` returns the selected values in document order. */
export interface JsonPath {
  readonly source: string;
  /** `$` starts at `root`; `@` and bare paths start at `current` (default `root`). */
  evaluate(root: unknown, current?: unknown): unknown[];
}

/** Compiles `expr`; throws JsonPathSyntaxError naming what is wrong and where. */
export function compileJsonPath(expr: string): JsonPath {
  const query = parseJsonPath(expr);
  return {
    source: expr,
    evaluate: (root: unknown, current: unknown = root) => evaluateQuery(query, root, current),
  };
}
