/**
 * @module
 * Checker tests (SPEC.md §6, DDS `checker_test`): each checker requests its `checker_ref_url` — a URL known to
 * answer the way a deleted item does — and is judged OK, WARNING or ERROR by whether a check of an item answering
 * like that would delete it. The answer is read by `checkOutcome`, the rule item checks use, so a test passes
 * exactly when a real check would act.
 */
import { FetchError } from "../fetch/errors.ts";
import { type Fetcher, type PageRequest } from "../fetch/fetcher.ts";
import { buildRequest, UnsupportedRequestError } from "../crawl/request.ts";
import type { Checker } from "../model/checker.ts";
import type { PageType } from "../model/page-type.ts";
import type { ScraperBody } from "../model/scraper.ts";
import { checkOutcome, type CheckOutcome } from "./outcome.ts";

export type CheckerTestResult = "OK" | "WARNING" | "ERROR";

export interface CheckerTestReport {
  scraper: string;
  attr: string;
  checker_type: Checker["checker_type"];
  /** The URL requested; empty when the checker has none. */
  ref_url: string;
  result: CheckerTestResult;
  /** Why, for people: the status seen, what the XPath gave, what failed. */
  detail: string;
}

/** How many checkers gave each result. */
export type CheckerTestSummary = Record<CheckerTestResult, number>;

export function summarizeCheckerTests(results: readonly CheckerTestReport[]): CheckerTestSummary {
  const summary: CheckerTestSummary = { OK: 0, WARNING: 0, ERROR: 0 };
  for (const r of results) summary[r.result]++;
  return summary;
}

export interface TestedScraper {
  name: string;
  body: Pick<ScraperBody, "checkers" | "page_types">;
}

/** The request options a checker uses when its attr has no detail page type: a plain GET, as DDS does. */
const PLAIN_GET: Pick<PageType, "page_type" | "method" | "request_type" | "headers" | "cookies" | "body" | "form_data" | "render_javascript" | "content_type" | "namespaces"> = {
  page_type: "DP",
  method: "GET",
  request_type: "plain",
  headers: {},
  cookies: {},
  body: "",
  form_data: {},
  render_javascript: false,
  content_type: "HTML",
  namespaces: {},
};

/**
 * Tests every checker of `scraper`, in definition order. Only cancellation (`signal`) rejects; a ref URL that
 * cannot be fetched is an ERROR result, not an exception, so one bad checker does not hide the others.
 */
export async function testCheckers(scraper: TestedScraper, fetcher: Pick<Fetcher, "fetch">, signal?: AbortSignal): Promise<CheckerTestReport[]> {
  // Concurrently: the fetcher keeps its per-host limits, so this only saves time when the ref URLs differ in host.
  return Promise.all(scraper.body.checkers.map((checker) => testChecker(scraper, checker, fetcher, signal)));
}

async function testChecker(scraper: TestedScraper, checker: Checker, fetcher: Pick<Fetcher, "fetch">, signal: AbortSignal | undefined): Promise<CheckerTestReport> {
  const report = (result: CheckerTestResult, detail: string): CheckerTestReport => ({
    scraper: scraper.name,
    attr: checker.attr,
    checker_type: checker.checker_type,
    ref_url: checker.checker_ref_url,
    result,
    detail,
  });
  // DDS refuses to run the test at all without a ref URL; a WARNING lets the scraper's other checkers be tested.
  if (!checker.checker_ref_url) return report("WARNING", "no checker_ref_url to test against");
  // Item checks request with the detail page type of the checked attr (SPEC.md §6); the test must too, or a site
  // that needs a cookie or header would pass the test and fail the checks (or the other way round).
  const pageType = scraper.body.page_types.find((p) => p.page_type.startsWith("DP") && p.attr === checker.attr) ?? PLAIN_GET;
  let request: PageRequest;
  try {
    request = buildRequest(pageType, checker.checker_ref_url, {});
  } catch (e) {
    if (e instanceof UnsupportedRequestError) return report("ERROR", e.message);
    throw e;
  }
  let outcome: CheckOutcome;
  try {
    const response = await fetcher.fetch(request, signal);
    outcome = checkOutcome(checker, { status: response.status, url: response.url, contentType: response.headers.get("content-type"), body: response.body }, pageType);
  } catch (e) {
    if (signal?.aborted || !(e instanceof FetchError) || e.kind === "aborted") throw e;
    return report("ERROR", `could not be fetched: ${e.message}`);
  }
  const { result, detail } = judgeCheckerTest(checker.checker_type, outcome);
  return report(result, detail);
}

/**
 * The verdict on one ref URL answer (SPEC.md §6): OK when a check would delete an item answering like this, a
 * WARNING when the configuration cannot be confirmed, an ERROR when the checker would never delete such an item
 * or the ref URL gave no usable answer.
 */
export function judgeCheckerTest(checkerType: Checker["checker_type"], outcome: CheckOutcome): { result: CheckerTestResult; detail: string } {
  if (outcome.kind === "unknown") {
    // A 5xx or an unreadable page says nothing about the configuration, but the test did not pass either.
    return { result: "ERROR", detail: outcome.detail.startsWith("HTTP ") ? `could not be fetched: ${outcome.detail}` : outcome.detail };
  }
  if (checkerType === "404") {
    if (outcome.kind === "not_found") return { result: "OK", detail: "HTTP 404: the checker would delete an item answering like this" };
    return { result: "WARNING", detail: `${outcome.detail}, not 404: the checker would keep an item answering like this` };
  }
  switch (outcome.kind) {
    case "gone":
      return { result: "OK", detail: `${outcome.detail}: the checker would delete an item answering like this` };
    case "not_found":
      // Such an item is still deleted (by the 404 rule), but the XPath, the part under test, was never tried.
      return { result: "WARNING", detail: "HTTP 404: the checker XPath could not be tried on the ref URL" };
    default:
      return { result: "ERROR", detail: `${outcome.detail}: the checker would keep an item answering like this` };
  }
}
