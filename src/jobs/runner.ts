/**
 * @module
 * Runs a queued job by its kind — what a queue consumer does with a message, in the binary's worker pool and in
 * the Worker alike — and, for scheduled jobs, moves the runtime afterwards, whatever the run's outcome.
 */
import { eq } from "drizzle-orm";
import { runCheckJob, type CheckJobDeps } from "../check/check-job.ts";
import { classes, items, jobs, sources, scrapers } from "../db/schema.ts";
import { DscraperError, NotFoundError } from "../errors.ts";
import { runOptionsSchema } from "../model/run-options.ts";
import { moveRuntime } from "../schedule/move.ts";
import { runCrawlJob, type CrawlJobDeps } from "./crawl-job.ts";
import { storedDefinitions } from "./definitions.ts";
import { finishJob, type JobRow } from "./records.ts";

export type RunnerDeps = CrawlJobDeps & Pick<CheckJobDeps, "store">;

/** Runs job `jobId` if it is still queued; returns its final row (undefined when there was nothing to run). */
export async function runQueuedJob(deps: RunnerDeps, jobId: number, signal: AbortSignal): Promise<JobRow | undefined> {
  const db = deps.database.db;
  const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
  // Re-delivered, cancelled meanwhile, or declared dead: someone else has dealt with it.
  if (!job || job.status !== "queued") return undefined;
  let finished: JobRow | undefined;
  let success = false;
  try {
    if (job.kind === "crawl") {
      if (job.source_id === null) throw new NotFoundError("its source was deleted");
      const defs = await storedDefinitions(db, job.source_id);
      finished = await runCrawlJob(deps, defs, runOptionsSchema.parse(job.params), { scheduled: job.update_schedule, updateSchedule: job.update_schedule, job }, signal);
      const counts = (finished.stats as { items?: { saved?: number; updated?: number } }).items;
      success = finished.status === "succeeded" && ((counts?.saved ?? 0) > 0 || (counts?.updated ?? 0) > 0);
    } else {
      if (job.item_id === null) throw new NotFoundError("its item was deleted");
      finished = await runCheckJob(deps, job.item_id, { dryRun: job.dry_run, scheduled: job.update_schedule, updateSchedule: job.update_schedule, job }, signal);
      success = finished.stats.action === "deleted";
    }
  } catch (e) {
    // Refused (the scraper was paused since the job was queued, the source is gone…) or broken: the job ends
    // failed with the reason, and the schedule still moves below.
    const reason = e instanceof DscraperError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    finished = await finishJob(db, job.id, "failed", {}, reason, deps.clock.now());
  } finally {
    if (job.update_schedule && !job.dry_run) await moveAfter(deps, job, success);
  }
  return finished;
}

async function moveAfter(deps: RunnerDeps, job: JobRow, success: boolean): Promise<void> {
  const db = deps.database.db;
  const now = deps.clock.now();
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
