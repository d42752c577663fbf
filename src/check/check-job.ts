/**
 * @module
 * One item's checkers, run as a job (SPEC.md §6): each checker requests the item's URL for its DETAIL_PAGE_URL
 * attr with that detail page type's headers and cookies. An XPath match deletes at once; a 404 deletes only when
 * the previous check also got one (a single 404 can be a deploy, a cache, a flaky proxy); anything else resets the
 * count. A server or network error is neither: it says nothing about the item. Every check (by hand too) keeps
 * the 404 count; the runtime's next time moves elsewhere, only for scheduled runs.
 */
import { and, eq } from "drizzle-orm";
import type { Fetcher, PageRequest } from "../fetch/fetcher.ts";
import { FetchError } from "../fetch/errors.ts";
import { buildRequest, requestKey } from "../crawl/request.ts";
import type { Db } from "../db/connect.ts";
import { deleteItems } from "../db/items.ts";
import { classes, items, page_validators, scheduler_runtimes, scrapers, sources } from "../db/schema.ts";
import { NotFoundError } from "../errors.ts";
import type { Vars } from "../extract/placeholders.ts";
import { refuseUnrunnable } from "../jobs/definitions.ts";
import { JobLog, type JobLogOptions } from "../jobs/log.ts";
import { createJob, finishJob, jobById, startJob, type JobRow } from "../jobs/records.ts";
import type { Checker } from "../model/checker.ts";
import type { ScraperStatus } from "../model/enums.ts";
import type { BlobStore, Clock, Database } from "../ports.ts";
import { checkOutcome, type CheckOutcome } from "./outcome.ts";

export interface CheckJobDeps {
  database: Database;
  fetcher: Fetcher;
  clock: Clock;
  /** Where the item's images are (deleted with it). */
  store?: BlobStore;
  log: Omit<JobLogOptions, "clock">;
  /** Send conditional requests from the last check's answer (a 304 means the page is still there). */
  conditionalRequests: boolean;
}

export interface CheckRun {
  dryRun: boolean;
  /** Started by the scheduler: the scraper must be ACTIVE. */
  scheduled: boolean;
  updateSchedule: boolean;
  /** A queued job to run, else one is created. */
  job?: JobRow;
}

export type CheckAction = "deleted" | "would delete" | "kept" | "no checkers";

export interface CheckStats {
  checks: { attr: string; url: string | null; outcome: CheckOutcome["kind"]; detail: string }[];
  action: CheckAction;
  /** 404 answers in a row after this check. */
  num_404: number;
}

/** Deletes after this many 404 answers in a row (SPEC.md §6). */
export const NOT_FOUND_LIMIT = 2;

export async function runCheckJob(deps: CheckJobDeps, itemId: number, run: CheckRun, signal: AbortSignal): Promise<JobRow & { stats: CheckStats }> {
  const { database, clock } = deps;
  const db = database.db;
  const target = await loadItem(db, itemId);
  refuseUnrunnable({ scraperName: target.scraperName, scraperStatus: target.scraperStatus }, run.scheduled);
  const job =
    run.job ??
    (await createJob(db, { kind: "check", item_id: itemId, source_id: target.sourceId, scraper_id: target.scraperId, dry_run: run.dryRun, update_schedule: run.updateSchedule }, clock.now()));
  if (!(await startJob(db, job.id, clock.now()))) return (await jobById(db, job.id)) as JobRow & { stats: CheckStats };
  const log = new JobLog(db, { job_id: job.id, source_id: target.sourceId, scraper_id: target.scraperId }, { ...deps.log, clock });

  const stats: CheckStats = { checks: [], action: "kept", num_404: target.num404 };
  let error: string | null = null;
  try {
    if (target.checkers.length === 0) stats.action = "no checkers";
    for (const checker of target.checkers) {
      const url = typeof target.data[checker.attr] === "string" ? (target.data[checker.attr] as string) : null;
      const outcome = url ? await check(deps, target, checker, url, run.dryRun, signal) : { kind: "unknown" as const, detail: `the item has no ${checker.attr} URL` };
      stats.checks.push({ attr: checker.attr, url, outcome: outcome.kind, detail: outcome.detail });
      log.log(outcome.kind === "unknown" ? "WARNING" : "INFO", `item ${itemId} checker ${checker.checker_type} on ${url ?? checker.attr}: ${outcome.kind} (${outcome.detail})`, url ?? undefined);
    }
    const kinds = new Set(stats.checks.map((c) => c.outcome));
    let remove = kinds.has("gone");
    if (!remove && kinds.has("not_found")) {
      stats.num_404 = target.num404 + 1;
      remove = stats.num_404 >= NOT_FOUND_LIMIT;
    } else if (!remove && stats.checks.length > 0) stats.num_404 = 0;
    if (remove) stats.action = run.dryRun ? "would delete" : "deleted";
    if (!run.dryRun && stats.action === "deleted") {
      await deleteItems(database, deps.store, [itemId]);
      if (target.scraperId !== null) await db.update(scrapers).set({ last_checker_delete: clock.now() }).where(eq(scrapers.id, target.scraperId));
      log.log("INFO", `item ${itemId} deleted by its checkers (${stats.checks.map((c) => c.detail).join("; ")})`);
    } else if (!run.dryRun && stats.num_404 !== target.num404) {
      await db.update(scheduler_runtimes).set({ num_404: stats.num_404 }).where(eq(scheduler_runtimes.item_id, itemId));
    }
  } catch (e) {
    error = signal.aborted ? "cancelled (interrupted)" : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    log.log(signal.aborted ? "WARNING" : "CRITICAL", error);
  }
  await log.flush();
  const status = error === null ? "succeeded" : signal.aborted ? "cancelled" : "failed";
  const finished = await finishJob(db, job.id, status, stats as unknown as Record<string, unknown>, error, clock.now());
  return finished as JobRow & { stats: CheckStats };
}

interface CheckTarget {
  itemId: number;
  data: Record<string, unknown>;
  sourceId: number;
  scraperId: number;
  scraperName: string;
  scraperStatus: ScraperStatus;
  checkers: Checker[];
  pageTypes: (typeof scrapers.$inferSelect)["definition"]["page_types"];
  num404: number;
}

async function loadItem(db: Db, itemId: number): Promise<CheckTarget> {
  const [row] = await db
    .select({ item: items, scraper: scrapers, num404: scheduler_runtimes.num_404 })
    .from(items)
    .innerJoin(sources, eq(sources.id, items.source_id))
    .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
    .innerJoin(classes, eq(classes.id, items.class_id))
    .leftJoin(scheduler_runtimes, eq(scheduler_runtimes.item_id, items.id))
    .where(eq(items.id, itemId));
  if (!row) throw new NotFoundError(`no item with id ${itemId}`);
  return {
    itemId,
    data: row.item.data,
    sourceId: row.item.source_id,
    scraperId: row.scraper.id,
    scraperName: row.scraper.name,
    scraperStatus: row.scraper.status,
    checkers: row.scraper.definition.checkers,
    pageTypes: row.scraper.definition.page_types,
    num404: row.num404 ?? 0,
  };
}

/** One checker against its URL: requested as its detail page type would, conditional when possible. */
async function check(deps: CheckJobDeps, target: CheckTarget, checker: Checker, url: string, dryRun: boolean, signal: AbortSignal): Promise<CheckOutcome> {
  const pageType = target.pageTypes.find((p) => p.page_type.startsWith("DP") && p.attr === checker.attr);
  const vars: Vars = Object.fromEntries(Object.entries(target.data).filter((e): e is [string, string | string[]] => typeof e[1] === "string" || Array.isArray(e[1])));
  let request: PageRequest;
  try {
    request = pageType ? buildRequest(pageType, url, vars) : { method: "GET", url };
  } catch (e) {
    return { kind: "unknown", detail: e instanceof Error ? e.message : String(e) };
  }
  const db = deps.database.db;
  const key = requestKey(request);
  const known = deps.conditionalRequests
    ? (await db.select().from(page_validators).where(and(eq(page_validators.source_id, target.sourceId), eq(page_validators.request_key, key))))[0]
    : undefined;
  if (known?.etag || known?.last_modified) {
    request.headers = { ...request.headers, ...(known.etag ? { "If-None-Match": known.etag } : {}), ...(known.last_modified ? { "If-Modified-Since": known.last_modified } : {}) };
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
    await db
      .insert(page_validators)
      .values({ source_id: target.sourceId, request_key: key, etag, last_modified: lastModified, updated_at: deps.clock.now() })
      .onConflictDoUpdate({ target: [page_validators.source_id, page_validators.request_key], set: { etag, last_modified: lastModified, updated_at: deps.clock.now() } });
  }
  return checkOutcome(checker, { status: response.status, url: response.url, contentType: response.headers.get("content-type"), body: response.body }, pageType?.content_type ?? "HTML");
}
