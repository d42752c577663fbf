/**
 * @module
 * Runs a queued job by its kind — what a queue consumer does with a message, in the binary's worker pool and in
 * the Worker alike — and, for scheduled jobs, moves the runtime afterwards, whatever the run's outcome.
 */
import type { Database } from "../db/connect.ts";
import { failureReason, NotFoundError } from "../errors.ts";
import { checkJobStats, crawlJobStats } from "../model/job-stats.ts";
import { runOptionsSchema } from "../model/run-options.ts";
import { moveRuntime } from "../schedule/move.ts";
import { checkJob, checkTarget, type CheckJobDeps } from "./check-job.ts";
import { crawlJob, refuseCrawl, refuseUnwritableImages, type CrawlJobDeps } from "./crawl-job.ts";
import { storedDefinitions } from "./definitions.ts";
import { claimRun, type JobRow, type JobRun } from "./lifecycle.ts";

export type RunnerDeps = CrawlJobDeps & Pick<CheckJobDeps, "store">;

/** Runs job `jobId` if it is still queued; returns its final row (undefined when there was nothing to run). */
export async function runQueuedJob(deps: RunnerDeps, jobId: number, signal: AbortSignal): Promise<JobRow | undefined> {
  // Re-delivered, cancelled meanwhile, or declared dead: someone else has dealt with it.
  const run = await claimRun(deps, jobId, signal);
  if (!run) return undefined;
  const { job } = run;
  let finished: JobRow | undefined;
  try {
    finished = await runClaimed(deps, run);
  } catch (e) {
    // Refused (the scraper was paused since the job was queued, the source is gone…) or broken: the job ends
    // failed with the reason, and the schedule still moves below.
    const reason = failureReason(e);
    finished = await run.finish("failed", {}, reason);
  } finally {
    if (job.update_schedule && !job.dry_run) await moveAfterRun(deps.database, job, finished !== undefined && runSucceeded(finished), deps.clock.now());
  }
  if (finished) deps.onFinished?.(finished);
  return finished;
}

async function runClaimed(deps: RunnerDeps, run: JobRun): Promise<JobRow> {
  const { job } = run;
  if (job.kind === "crawl") {
    if (job.source_id === null) throw new NotFoundError("its source was deleted");
    const defs = await storedDefinitions(deps.database, job.source_id);
    const options = runOptionsSchema.parse(job.params);
    refuseCrawl(defs, options, job.update_schedule);
    await refuseUnwritableImages(deps.images?.store, defs, options);
    return crawlJob(deps, defs, options, run);
  }
  if (job.item_id === null) throw new NotFoundError("its item was deleted");
  return checkJob(deps, await checkTarget(deps, job.item_id, job.update_schedule), run);
}

/**
 * "Success" in SPEC.md §7's sense: a crawl that saved a new item or updated a `T` value; a check that deleted its
 * item. A failed run is a run without success.
 */
export function runSucceeded(job: JobRow): boolean {
  if (job.status !== "succeeded") return false;
  if (job.kind === "check") return checkJobStats(job.stats)?.action === "deleted";
  const counts = crawlJobStats(job.stats)?.items;
  return (counts?.saved ?? 0) > 0 || (counts?.updated ?? 0) > 0;
}

/** Moves the runtime of the job's source or item by its class's configuration (no-op when it is gone). */
export async function moveAfterRun(database: Database, job: JobRow, success: boolean, now: Date): Promise<void> {
  if (job.kind === "crawl" && job.source_id !== null) await moveRuntime(database, { sourceId: job.source_id }, success, now);
  else if (job.kind === "check" && job.item_id !== null) await moveRuntime(database, { itemId: job.item_id }, success, now);
}
