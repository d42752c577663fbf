/**
 * @module
 * Runs a queued job by its kind — what a queue consumer does with a message, in the binary's worker pool and in
 * the Worker alike — and, for scheduled jobs, moves the runtime afterwards, whatever the run's outcome.
 */
import { eq } from "drizzle-orm";
import { runCheckJob, type CheckJobDeps, type CheckStats } from "../check/check-job.ts";
import type { Db } from "../db/connect.ts";
import { classes, items, sources, scrapers } from "../db/schema.ts";
import { DscraperError, NotFoundError } from "../errors.ts";
import { runOptionsSchema } from "../model/run-options.ts";
import { moveRuntime } from "../schedule/move.ts";
import { runCrawlJob, type CrawlJobDeps, type CrawlJobStats } from "./crawl-job.ts";
import { storedDefinitions } from "./definitions.ts";
import { finishJob, jobById, type JobRow } from "./records.ts";

export type RunnerDeps = CrawlJobDeps & Pick<CheckJobDeps, "store">;

/** Runs job `jobId` if it is still queued; returns its final row (undefined when there was nothing to run). */
export async function runQueuedJob(deps: RunnerDeps, jobId: number, signal: AbortSignal): Promise<JobRow | undefined> {
  const db = deps.database.db;
  const job = await jobById(db, jobId);
  // Re-delivered, cancelled meanwhile, or declared dead: someone else has dealt with it.
  if (!job || job.status !== "queued") return undefined;
  let finished: JobRow | undefined;
  let success = false;
  try {
    if (job.kind === "crawl") {
      if (job.source_id === null) throw new NotFoundError("its source was deleted");
      const defs = await storedDefinitions(db, job.source_id);
      finished = await runCrawlJob(deps, defs, runOptionsSchema.parse(job.params), { scheduled: job.update_schedule, updateSchedule: job.update_schedule, job }, signal);
      success = runSucceeded(finished);
    } else {
      if (job.item_id === null) throw new NotFoundError("its item was deleted");
      finished = await runCheckJob(deps, job.item_id, { dryRun: job.dry_run, scheduled: job.update_schedule, updateSchedule: job.update_schedule, job }, signal);
      success = runSucceeded(finished);
    }
  } catch (e) {
    // Refused (the scraper was paused since the job was queued, the source is gone…) or broken: the job ends
    // failed with the reason, and the schedule still moves below.
    const reason = e instanceof DscraperError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    finished = await finishJob(db, job.id, "failed", {}, reason, deps.clock.now());
  } finally {
    if (job.update_schedule && !job.dry_run) await moveAfterRun(deps.database.db, job, success, deps.clock.now());
  }
  return finished;
}

/**
 * "Success" in SPEC.md §7's sense: a crawl that saved a new item or updated a `T` value; a check that deleted its
 * item. A failed run is a run without success.
 */
export function runSucceeded(job: JobRow): boolean {
  if (job.status !== "succeeded") return false;
  if (job.kind === "check") return (job.stats as Partial<CheckStats>).action === "deleted";
  const counts = (job.stats as Partial<CrawlJobStats>).items;
  return (counts?.saved ?? 0) > 0 || (counts?.updated ?? 0) > 0;
}

/** Moves the runtime of the job's source or item by its class's configuration (no-op when it is gone). */
export async function moveAfterRun(db: Db, job: JobRow, success: boolean, now: Date): Promise<void> {
  if (job.kind === "crawl" && job.source_id !== null) {
    const [row] = await db
      .select({ conf: classes.definition })
      .from(sources)
      .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
      .innerJoin(classes, eq(classes.id, scrapers.class_id))
      .where(eq(sources.id, job.source_id));
    if (row) await moveRuntime(db, { sourceId: job.source_id }, row.conf.scraper_scheduler_conf, success, now);
  } else if (job.kind === "check" && job.item_id !== null) {
    const [row] = await db.select({ conf: classes.definition }).from(items).innerJoin(classes, eq(classes.id, items.class_id)).where(eq(items.id, job.item_id));
    if (row) await moveRuntime(db, { itemId: job.item_id }, row.conf.checker_scheduler_conf, success, now);
  }
}
