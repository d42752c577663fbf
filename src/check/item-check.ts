/**
 * @module
 * One item's checkers (SPEC.md §6): each checker requests the item's URL for its DETAIL_PAGE_URL attr with that
 * detail page type's headers and cookies. An XPath match deletes at once; a 404 deletes only when the previous
 * check also got one (a single 404 can be a deploy, a cache, a flaky proxy); anything else resets the count. A
 * server or network error is neither: it says nothing about the item. Every check (by hand too) keeps the 404
 * count. Running it as a job (lease, log rows, stats, schedule) is `jobs/check-job.ts`.
 */
import { buildRequest, requestKey } from "../crawl/request.ts";
import type { Database } from "../db/connect.ts";
import { markCheckerDelete } from "../db/definitions.ts";
import { deleteItems, setNotFoundCount, type ItemToCheck } from "../db/items.ts";
import { pageValidator, saveValidators } from "../db/validators.ts";
import type { Vars } from "../extract/placeholders.ts";
import { FetchError } from "../fetch/errors.ts";
import { type Fetcher, type PageRequest } from "../fetch/fetcher.ts";
import type { Checker } from "../model/checker.ts";
import type { LogLevel } from "../model/enums.ts";
import type { CheckJobStats } from "../model/job-stats.ts";
import type { BlobStore, Clock } from "../ports.ts";
import { checkOutcome, type CheckOutcome } from "./outcome.ts";

export interface ItemCheckDeps {
  database: Database;
  fetcher: Fetcher;
  clock: Clock;
  /** Where the item's images are (deleted with it). */
  store?: BlobStore;
  /** Send conditional requests from the last check's answer (a 304 means the page is still there). */
  conditionalRequests: boolean;
}

/** Deletes after this many 404 answers in a row (SPEC.md §6). */
export const NOT_FOUND_LIMIT = 2;

/** The stats of a check that has not run yet. */
export function checkStarted(target: Pick<ItemToCheck, "num404">): CheckJobStats {
  return { checks: [], action: "kept", num_404: target.num404 };
}

/**
 * Runs the item's checkers and acts on what they say (deletes the item, or keeps its 404 count), recording what
 * happens in `stats` as it goes (a check that breaks off leaves what it did); a dry run reports what it would do
 * and writes nothing. Rejects only when `signal` aborts or something unforeseen breaks.
 */
export async function checkItem(
  deps: ItemCheckDeps,
  target: ItemToCheck,
  stats: CheckJobStats,
  dryRun: boolean,
  log: (level: LogLevel, message: string, refObject?: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const { itemId } = target;
  if (target.checkers.length === 0) stats.action = "no checkers";
  for (const checker of target.checkers) {
    const value = target.data[checker.attr];
    const url = typeof value === "string" ? value : null;
    const outcome = url ? await check(deps, target, checker, url, dryRun, signal) : { kind: "unknown" as const, detail: `the item has no ${checker.attr} URL` };
    stats.checks.push({ attr: checker.attr, url, outcome: outcome.kind, detail: outcome.detail });
    log(outcome.kind === "unknown" ? "WARNING" : "INFO", `item ${itemId} checker ${checker.checker_type} on ${url ?? checker.attr}: ${outcome.kind} (${outcome.detail})`, url ?? undefined);
  }
  const kinds = new Set(stats.checks.map((c) => c.outcome));
  let remove = kinds.has("gone");
  if (!remove && kinds.has("not_found")) {
    stats.num_404 = target.num404 + 1;
    remove = stats.num_404 >= NOT_FOUND_LIMIT;
  } else if (!remove && stats.checks.length > 0) stats.num_404 = 0;
  if (remove) stats.action = dryRun ? "would delete" : "deleted";
  if (!dryRun && stats.action === "deleted") {
    await deleteItems(deps.database, deps.store, [itemId]);
    await markCheckerDelete(deps.database, target.scraperId, deps.clock.now());
    log("INFO", `item ${itemId} deleted by its checkers (${stats.checks.map((c) => c.detail).join("; ")})`);
  } else if (!dryRun && stats.num_404 !== target.num404) {
    await setNotFoundCount(deps.database, itemId, stats.num_404);
  }
}

/** One checker against its URL: requested as its detail page type would, conditional when possible. */
async function check(deps: ItemCheckDeps, target: ItemToCheck, checker: Checker, url: string, dryRun: boolean, signal: AbortSignal): Promise<CheckOutcome> {
  const pageType = target.pageTypes.find((p) => p.page_type.startsWith("DP") && p.attr === checker.attr);
  const vars: Vars = Object.fromEntries(Object.entries(target.data).filter((e): e is [string, string | string[]] => typeof e[1] === "string" || Array.isArray(e[1])));
  let request: PageRequest;
  try {
    request = pageType ? buildRequest(pageType, url, vars) : { method: "GET", url };
  } catch (e) {
    return { kind: "unknown", detail: e instanceof Error ? e.message : String(e) };
  }
  const key = requestKey(request);
  const known = deps.conditionalRequests ? await pageValidator(deps.database, target.sourceId, key) : undefined;
  if (known?.etag || known?.lastModified) {
    request.headers = { ...request.headers, ...(known.etag ? { "If-None-Match": known.etag } : {}), ...(known.lastModified ? { "If-Modified-Since": known.lastModified } : {}) };
  }
  let response;
  try {
    response = await deps.fetcher.fetch(request, signal);
  } catch (e) {
    if (signal.aborted) throw e;
    if (e instanceof FetchError) return { kind: "unknown", detail: `${e.kind}: ${e.message}` };
    throw e;
  }
  // Not modified since the last check: the page is still there.
  if (response.status === 304) return { kind: "alive", detail: "HTTP 304 (not modified)" };
  const etag = response.headers.get("etag");
  const lastModified = response.headers.get("last-modified");
  if (deps.conditionalRequests && !dryRun && response.status < 300 && (etag || lastModified)) {
    await saveValidators(deps.database, target.sourceId, new Map([[key, { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) }]]), deps.clock.now());
  }
  return checkOutcome(checker, { status: response.status, url: response.url, contentType: response.headers.get("content-type"), body: response.body }, pageType ?? { content_type: "HTML", namespaces: {} });
}
