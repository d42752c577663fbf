/**
 * @module
 * A crawl as a job (SPEC.md §4): refused when its scraper may not run or its page window does not fit, then run
 * through the job lifecycle (`lifecycle.ts`) with its log rows, its validators for conditional requests, its
 * items through the pipeline and its stats.
 */
import { crawl, type CrawlProgress, type ValidatorCache } from "../crawl/crawler.ts";
import { runLimits } from "../crawl/page-step.ts";
import { ItemPipeline } from "../crawl/pipeline.ts";
import { planMainPages } from "../crawl/planner.ts";
import { MemoryRunState } from "../crawl/run-state.ts";
import { UnsupportedRequestError } from "../crawl/request.ts";
import type { Database } from "../db/connect.ts";
import { jobById } from "../db/jobs.ts";
import { saveValidators, sourceValidators, type PageValidator } from "../db/validators.ts";
import { errorMessage, failureReason } from "../errors.ts";
import type { ProcessorEnv } from "../expressions/processors.ts";
import type { Fetcher } from "../fetch/fetcher.ts";
import type { PageReaders } from "../crawl/read-page.ts";
import { ImageDownloads, type ImageDeps } from "../images/downloads.ts";
import { checkImageStore } from "../images/store-check.ts";
import { emptyCrawlStats, type CrawlJobStats } from "../model/job-stats.ts";
import type { RunOptions } from "../model/run-options.ts";
import type { BlobStore, Clock } from "../ports.ts";
import { refuseUnrunnable, type CrawlDefinitions } from "./definitions.ts";
import { claimRun, finishing, queueJob, type JobRow, type JobRun, type Sleep, type StopReason } from "./lifecycle.ts";
import { JobLog, type JobLogOptions } from "./log.ts";

export interface CrawlJobDeps {
  database: Database;
  fetcher: Fetcher;
  clock: Clock;
  /** Between the lease's heartbeats (default a timer). */
  sleep?: Sleep;
  /** How often a run beats (lifecycle.ts); who runs it. */
  heartbeatMs?: number;
  runner?: string;
  env: ProcessorEnv;
  log: Omit<JobLogOptions, "clock">;
  /** Send conditional requests from the validators of the last run (off with `--no-cache`). */
  conditionalRequests: boolean;
  onProgress?(progress: CrawlProgress): void;
  onRow?(row: Record<string, unknown>): void;
  /** Where new items' images go (not used by dry runs). */
  images?: Omit<ImageDeps, "fetcher">;
  /** Where pages are read, with a time limit each (the binary's threads); default on this thread. */
  readers?: PageReaders;
  /** Told of each job this process ran once its final row is written (the webhook leaves from here); must not block. */
  onFinished?(job: JobRow): void;
}

/** A crawl by hand (or from the CLI): refused before any job exists when it cannot run, else queued and run now. */
export async function runCrawlJob(deps: CrawlJobDeps, defs: CrawlDefinitions, options: RunOptions, run: { scheduled: boolean; updateSchedule: boolean }, signal: AbortSignal): Promise<JobRow> {
  refuseCrawl(defs, options, run.scheduled);
  await refuseUnwritableImages(deps.images?.store, defs, options);
  const job = await queueJob(
    deps.database,
    { kind: "crawl", source_id: defs.sourceId, scraper_id: defs.scraperId, dry_run: options.dry_run, update_schedule: run.updateSchedule, params: { ...options } },
    deps.clock.now(),
  );
  const claimed = await claimRun(deps, job.id, signal);
  // Cancelled or declared dead between the two statements: it is what it is now.
  if (!claimed) return (await jobById(deps.database, job.id)) ?? job;
  const finished = await finishing(claimed, () => crawlJob(deps, defs, options, claimed));
  deps.onFinished?.(finished);
  return finished;
}

/** What makes a crawl impossible before it starts: its scraper may not run, or the page window does not fit. */
export function refuseCrawl(defs: CrawlDefinitions, options: RunOptions, scheduled: boolean): void {
  refuseUnrunnable(defs, scheduled);
  planMainPages(defs.scraperBody, options.url ?? defs.url, options);
}

/**
 * A crawl that would store images needs a store it can write (SPEC.md §4): else it is refused before it starts,
 * naming the store and the reason (ImageStoreError), rather than "succeeding" without its images.
 */
export async function refuseUnwritableImages(store: BlobStore | undefined, defs: CrawlDefinitions, options: RunOptions): Promise<void> {
  if (!store || options.dry_run) return;
  if (!defs.classBody.attrs.some((a) => a.attr_type === "I" && a.save_to_db)) return;
  await checkImageStore(store);
}

/** Runs the crawl of a claimed job and finishes it; the refusals of {@link refuseCrawl} are the caller's. */
export async function crawlJob(deps: CrawlJobDeps, defs: CrawlDefinitions, options: RunOptions, run: JobRun): Promise<JobRow> {
  const { database, clock } = deps;
  const log = new JobLog(database, { job_id: run.job.id, source_id: defs.sourceId, scraper_id: defs.scraperId }, { ...deps.log, clock });
  run.onHeartbeatError = (e) => log.log("WARNING", `could not renew the job's lease: ${errorMessage(e)}`);
  log.log("INFO", `crawl of source "${defs.sourceName}" with scraper "${defs.scraperName}" started${options.dry_run ? " (dry run)" : ""}`);

  // A dry run shows what a full read gives, so it neither sends nor stores validators.
  const validators = deps.conditionalRequests && !options.dry_run && defs.sourceId !== null ? new Validators(await sourceValidators(database, defs.sourceId)) : undefined;
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
      ...(deps.images && !options.dry_run ? { images: new ImageDownloads({ ...deps.images, fetcher: deps.fetcher }, run.signal) } : {}),
      signal: run.signal,
      promptWrites: true,
      fence: run.lease,
    },
  );
  const state = new MemoryRunState(runLimits(defs.scraperBody, options));
  // Published with each heartbeat: what GET /api/jobs/:id and `dscraper jobs` show while the crawl runs.
  run.liveStats = () => {
    const read = state.stats();
    return { ...read, errors: addCounts(read.errors, pipeline.errors()), items: structuredClone(pipeline.counts) };
  };

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
      {
        item: (item) => pipeline.add(item),
        log: log.log,
        state,
        ...(deps.onProgress ? { progress: deps.onProgress } : {}),
        ...(validators ? { validators } : {}),
        ...(deps.readers ? { readers: deps.readers } : {}),
      },
      run.signal,
    );
    // A run that lost its lease may have a successor by now: what it still holds is not written.
    if (run.stopReason !== "lease lost") await pipeline.flush();
    // Items whose detail pages were not read are not stored (run-state.ts); they are read again next run.
    const unread = await state.unread();
    if (unread > 0) pipeline.counts.dropped[unreadReason(run.signal.aborted ? run.stopReason : undefined)] = unread;
    stats = { ...crawled, errors: addCounts(crawled.errors, pipeline.errors()), items: pipeline.counts };
    const mainPages = crawled.pages.main + crawled.pages.not_modified;
    if (run.signal.aborted) {
      status = "cancelled";
      error = STOPPED[run.stopReason ?? "interrupted"];
    } else if (crawled.errors.internal) {
      error = `${crawled.errors.internal} page(s) failed with an internal error (see the log)`;
    } else if (mainPages === 0) {
      error = "no main page could be fetched";
    } else status = "succeeded";
  } catch (e) {
    // A definition the run cannot honour is the definition's problem; anything else is ours.
    error = e instanceof UnsupportedRequestError ? e.message : failureReason(e);
    log.log("CRITICAL", error);
  }
  stats ??= { ...emptyCrawlStats(), items: pipeline.counts };
  // A lease lost shows either at a heartbeat or as a refused write, whichever comes first.
  const leaseLost = run.stopReason === "lease lost" || pipeline.leaseLost;
  if (validators && defs.sourceId !== null && !leaseLost) await saveValidators(database, defs.sourceId, validators.changed, clock.now());
  const outcome = leaseLost ? "stopped (the run lost its lease)" : status;
  log.log(status === "succeeded" ? "INFO" : "ERROR", `crawl ${outcome}${error ? `: ${error}` : ""}`);
  await log.flush();
  return run.finish(status, stats, error);
}

/** Why items were left unread: the run stopped (how), or a failure outside the page steps lost their pages. */
function unreadReason(stop: StopReason | undefined): string {
  if (stop === "lease lost") return "lease lost before its detail pages were read";
  if (stop) return "cancelled before its detail pages were read";
  return "detail pages never read (internal error)";
}

function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a };
  for (const [kind, n] of Object.entries(b)) sum[kind] = (sum[kind] ?? 0) + n;
  return sum;
}

/** The error of a run stopped before its end (a lost lease's is not written: the job keeps what it was given). */
const STOPPED: Record<StopReason, string> = {
  interrupted: "cancelled (interrupted)",
  cancelled: "cancelled while running",
  "lease lost": "the run lost its lease (declared dead while it ran) and stopped",
};

/** The last run's validators, and the ones this run learnt (stored at its end). */
class Validators implements ValidatorCache {
  readonly changed = new Map<string, PageValidator>();

  constructor(private readonly known: ReadonlyMap<string, PageValidator>) {}

  get(key: string): PageValidator | undefined {
    return this.known.get(key);
  }

  set(key: string, value: PageValidator): void {
    this.changed.set(key, value);
  }
}
