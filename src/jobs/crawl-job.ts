/**
 * @module
 * A crawl as a job (SPEC.md §4): refused when its scraper may not run or its source is busy, recorded in `jobs`
 * from queued to its end, kept alive by a lease while it runs, cancelled from outside through that lease, with
 * its log rows and stats.
 */
import { eq, sql } from "drizzle-orm";
import { crawl, type CrawlProgress, type CrawlStats, type ValidatorCache } from "../crawl/crawler.ts";
import type { Fetcher } from "../fetch/fetcher.ts";
import { ItemPipeline, type PipelineCounts } from "../crawl/pipeline.ts";
import { planMainPages } from "../crawl/planner.ts";
import { UnsupportedRequestError } from "../crawl/request.ts";
import { ImageDownloads, type ImageDeps } from "../images/downloads.ts";
import type { ProcessorEnv } from "../expressions/processors.ts";
import type { Db } from "../db/connect.ts";
import { page_validators } from "../db/schema.ts";
import type { RunOptions } from "../model/run-options.ts";
import type { Clock, Database } from "../ports.ts";
import { refuseUnrunnable, type CrawlDefinitions } from "./definitions.ts";
import { JobLog, type JobLogOptions } from "./log.ts";
import { createJob, finishJob, heartbeat, HEARTBEAT_MS, jobById, startJob, type JobRow } from "./records.ts";

export interface CrawlJobDeps {
  database: Database;
  fetcher: Fetcher;
  clock: Clock;
  env: ProcessorEnv;
  log: Omit<JobLogOptions, "clock">;
  /** Send conditional requests from the validators of the last run (off with `--no-cache`). */
  conditionalRequests: boolean;
  onProgress?(progress: CrawlProgress): void;
  onRow?(row: Record<string, unknown>): void;
  /** Where new items' images go (not used by dry runs). */
  images?: Omit<ImageDeps, "fetcher">;
}

export interface CrawlJobStats extends CrawlStats {
  items: PipelineCounts;
}

export async function runCrawlJob(deps: CrawlJobDeps, defs: CrawlDefinitions, options: RunOptions, run: { scheduled: boolean; updateSchedule: boolean; job?: JobRow }, signal: AbortSignal): Promise<JobRow> {
  const { database, clock } = deps;
  const db = database.db;
  refuseUnrunnable(defs, run.scheduled);
  // A page window that does not fit the scraper is bad input: refused before a job exists.
  planMainPages(defs.scraperBody, options.url ?? defs.url, options);
  // A queued job (from the scheduler or the API) already holds its source; a run by hand queues its own.
  const job =
    run.job ??
    (await createJob(
      db,
      { kind: "crawl", source_id: defs.sourceId, scraper_id: defs.scraperId, dry_run: options.dry_run, update_schedule: run.updateSchedule, params: { ...options } },
      clock.now(),
    ));
  if (!(await startJob(db, job.id, clock.now()))) return (await jobById(db, job.id))!;
  const log = new JobLog(db, { job_id: job.id, source_id: defs.sourceId, scraper_id: defs.scraperId }, { ...deps.log, clock });
  log.log("INFO", `crawl of source "${defs.sourceName}" with scraper "${defs.scraperName}" started${options.dry_run ? " (dry run)" : ""}`);

  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(signal.reason);
  signal.addEventListener("abort", onOuterAbort);
  let cancelledElsewhere = false;
  const lease = setInterval(() => {
    heartbeat(db, job.id, clock.now())
      .then((alive) => {
        if (!alive) {
          cancelledElsewhere = true;
          stop.abort(new Error("the job was cancelled"));
        }
      })
      .catch((e: unknown) => log.log("WARNING", `could not renew the job's lease: ${e instanceof Error ? e.message : String(e)}`));
  }, HEARTBEAT_MS);

  // A dry run shows what a full read gives, so it neither sends nor stores validators.
  const validators = deps.conditionalRequests && !options.dry_run && defs.sourceId !== null ? await loadValidators(db, defs.sourceId) : undefined;
  const pipeline = new ItemPipeline(
    database,
    { classId: defs.classId, classBody: defs.classBody, sourceId: defs.sourceId, scraperId: defs.scraperId, scraperBody: defs.scraperBody },
    {
      dryRun: options.dry_run,
      maxItemsSave: options.max_items_save ?? defs.scraperBody.max_items_save ?? undefined,
      clock,
      log: log.log,
      ...(deps.onRow ? { onRow: deps.onRow } : {}),
      checkersRunnable: defs.scraperStatus === "ACTIVE" && defs.scraperBody.checkers.length > 0,
      firstCheckMinutes: defs.classBody.checker_scheduler_conf.MIN_TIME,
      ...(deps.images && !options.dry_run ? { images: new ImageDownloads({ ...deps.images, fetcher: deps.fetcher }, stop.signal) } : {}),
    },
  );

  let status: "succeeded" | "failed" | "cancelled" = "failed";
  let error: string | null = null;
  let stats: CrawlJobStats | undefined;
  try {
    const startUrls = options.url ? [options.url] : [defs.url, ...defs.urls];
    const crawled = await crawl(
      { classBody: defs.classBody, scraperBody: defs.scraperBody, startUrls },
      options,
      deps.fetcher,
      deps.env,
      { item: (item) => pipeline.add(item), log: log.log, ...(deps.onProgress ? { progress: deps.onProgress } : {}), ...(validators ? { validators } : {}) },
      stop.signal,
    );
    await pipeline.flush();
    stats = { ...crawled, items: pipeline.counts };
    const mainPages = crawled.pages.main + crawled.pages.not_modified;
    if (stop.signal.aborted) {
      status = "cancelled";
      error = cancelledElsewhere ? "cancelled while running" : "cancelled (interrupted)";
    } else if (crawled.errors.internal) {
      error = `${crawled.errors.internal} page(s) failed with an internal error (see the log)`;
    } else if (mainPages === 0) {
      error = "no main page could be fetched";
    } else status = "succeeded";
  } catch (e) {
    // A definition the run cannot honour is the definition's problem; anything else is ours.
    error = e instanceof UnsupportedRequestError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    log.log("CRITICAL", error);
  } finally {
    clearInterval(lease);
    signal.removeEventListener("abort", onOuterAbort);
  }
  stats ??= { pages: { main: 0, follow: 0, detail: 0, not_modified: 0, failed: 0, duplicate: 0 }, items_read: 0, pages_without_items: 0, errors: {}, items: pipeline.counts };
  if (validators) await saveValidators(db, defs.sourceId!, validators, clock.now());
  log.log(status === "succeeded" ? "INFO" : "ERROR", `crawl ${status}${error ? `: ${error}` : ""}`);
  await log.flush();
  return finishJob(db, job.id, status, stats as unknown as Record<string, unknown>, error, clock.now());
}

interface Validators extends ValidatorCache {
  changed: Map<string, { etag?: string; lastModified?: string }>;
}

async function loadValidators(db: Db, sourceId: number): Promise<Validators> {
  const rows = await db.select().from(page_validators).where(eq(page_validators.source_id, sourceId));
  const known = new Map(rows.map((r) => [r.request_key, { ...(r.etag ? { etag: r.etag } : {}), ...(r.last_modified ? { lastModified: r.last_modified } : {}) }]));
  const changed = new Map<string, { etag?: string; lastModified?: string }>();
  return {
    changed,
    get: (key) => known.get(key),
    set: (key, value) => changed.set(key, value),
  };
}

async function saveValidators(db: Db, sourceId: number, validators: Validators, now: Date): Promise<void> {
  const rows = [...validators.changed].map(([request_key, v]) => ({ source_id: sourceId, request_key, etag: v.etag ?? null, last_modified: v.lastModified ?? null, updated_at: now }));
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insert(page_validators)
      .values(rows.slice(i, i + 200))
      .onConflictDoUpdate({ target: [page_validators.source_id, page_validators.request_key], set: { etag: sql`excluded.etag`, last_modified: sql`excluded.last_modified`, updated_at: now } });
  }
}
