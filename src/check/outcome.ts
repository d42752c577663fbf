/**
 * @module
 * What one checker learns from one answer (SPEC.md §6), for item checks and checker tests alike. Pure: the
 * request is made by the caller.
 */
import { parsePage } from "../extract/document.ts";
import { compileJsonPath } from "../expressions/jsonpath.ts";
import { compileXPath } from "../expressions/xpath.ts";
import type { Checker } from "../model/checker.ts";
import type { CheckOutcomeKind } from "../model/job-stats.ts";
import type { PageType } from "../model/page-type.ts";

/**
 * - `not_found`: a 404 (deleted after two in a row);
 * - `gone`: the checker's XPath matched (deleted at once);
 * - `alive`: any other answer a browser would show;
 * - `unknown`: a server error, a network error, a page that could not be read — says nothing about the item.
 */
export type CheckOutcome = { kind: CheckOutcomeKind; detail: string };

export interface CheckedAnswer {
  status: number;
  url: string;
  contentType: string | null;
  body: Uint8Array;
}

export function checkOutcome(checker: Pick<Checker, "checker_type" | "checker_x_path" | "checker_x_path_result">, answer: CheckedAnswer, pageType: Pick<PageType, "content_type" | "namespaces">): CheckOutcome {
  if (answer.status === 404) return { kind: "not_found", detail: "HTTP 404" };
  // 5xx (and 429/408 after the fetcher's retries) is the server's trouble, not news about the item.
  if (answer.status >= 500 || answer.status === 429 || answer.status === 408) return { kind: "unknown", detail: `HTTP ${answer.status}` };
  if (checker.checker_type === "404_OR_X_PATH" && answer.status < 300) {
    let page;
    try {
      page = parsePage(answer.body, answer.contentType, pageType.content_type, answer.url, pageType.namespaces);
    } catch (e) {
      return { kind: "unknown", detail: `page could not be read: ${e instanceof Error ? e.message : String(e)}` };
    }
    const found =
      page.kind === "JSON"
        ? compileJsonPath(checker.checker_x_path).evaluate(page.data).map((v) => (typeof v === "string" ? v : JSON.stringify(v)))
        : compileXPath(checker.checker_x_path).strings(page.document);
    const wanted = checker.checker_x_path_result;
    if (found.length > 0 && (wanted === "" || found[0]!.trim() === wanted.trim())) {
      return { kind: "gone", detail: `checker XPath matched${wanted ? ` "${wanted}"` : ""}` };
    }
    return { kind: "alive", detail: found.length ? `checker XPath gave "${found[0]}", not "${wanted}"` : `HTTP ${answer.status}, checker XPath did not match` };
  }
  return { kind: "alive", detail: `HTTP ${answer.status}` };
}
