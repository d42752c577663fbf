/**
 * @module
 * Whether an elem's, follow link's or checker's expression can be evaluated on the page it runs on: XPath on
 * HTML and XML pages, JSONPath on JSON pages. Compiling here is the same compiling a run does.
 */
import { compileJsonPath } from "../expressions/jsonpath.ts";
import { compileRegex } from "../expressions/regex.ts";
import { compileXPath } from "../expressions/xpath.ts";
import type { ContentType } from "./page-type.ts";

/** The reason `expression` is unusable on a `contentType` page, or undefined. */
export function expressionProblem(expression: string, contentType: ContentType): string | undefined {
  try {
    if (contentType === "JSON") compileJsonPath(expression);
    else compileXPath(expression);
    return undefined;
  } catch (e) {
    const what = contentType === "JSON" ? "JSONPath" : "XPath";
    const reason = e instanceof Error ? e.message.replace(/^invalid (XPath|JSONPath): /i, "") : String(e);
    return `invalid ${what} (${contentType} page): ${reason}`;
  }
}

export function regexProblem(pattern: string): string | undefined {
  try {
    compileRegex(pattern);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
