/**
 * @module
 * The end of a step and of a crawl run. A run is over when its last step is done: each step's end takes one off
 * the run's count of pending steps in the same transaction that ends it, so exactly one step sees the count
 * reach 0, and that step ends the job — `succeeded`, or `failed` by the same rules as the binary's crawl (an
 * internal error, or no main page) — moves its source's runtime when the scheduler started it, and removes the
 * run's rows (but its failed pages), and queues the job's webhook. When the step's invocation cannot afford that, a
 * `finish` message does it.
 */
import type { StepHandoff } from "../../src/crawl/database-run-state.ts";
import { jobById } from "../../src/db/jobs.ts";
import { finishRun, runProgress } from "../../src/db/runs.ts";
import { moveAfterRun, runSucceeded } from "../../src/jobs/runner.ts";
import { crawlJobStats } from "../../src/model/job-stats.ts";
import type { Invocation } from "./invocation.ts";
import { ack, type Outcome } from "./messages.ts";
import { sendSteps, StepLog, type Step } from "./step.ts";
import { storeItems } from "./store-items.ts";
import { queueJobWebhook, WEBHOOK_PREPARE_COST } from "./webhook.ts";

/** Subrequests ending a run takes at most: progress, the end, the job read back, the runtime moved, its log rows, its webhook. */
export const FINISH_COST = 8 + WEBHOOK_PREPARE_COST;

/** After a page's commit: the pages it planned are sent, its items stored, and the run ended if it was the last. */
export async function afterCommit(step: Step, handoff: StepHandoff): Promise<Outcome> {
  // Committed before (a second delivery), or the lease was lost to another invocation: nothing more to do here.
  if (!handoff.committed) return ack;
  const { inv, msg } = step;
  sendSteps(inv, msg.job, msg.step, handoff.children, handoff.children.length === 500);
  if (inv.budget.affords(step.log.cost)) await step.log.flush();
  if (handoff.status === "read") return storeItems(step, handoff.complete);
  if (handoff.pending === 0) await finishCrawl(inv, msg.job);
  return ack;
}

/** Ends the crawl of job `jobId` if no step is left (a `finish` message when this invocation cannot afford it). */
export async function finishCrawl(inv: Invocation, jobId: number): Promise<void> {
  if (!inv.budget.affords(FINISH_COST)) {
    inv.outbox.push({ body: { type: "finish", job: jobId } });
    return;
  }
  const progress = await runProgress(inv.database, jobId);
  if (!progress || progress.pending !== 0 || progress.job !== "running") return;
  const stats = crawlJobStats(progress.stats);
  let error: string | null = null;
  if (!stats) error = "internal error: the run kept no stats";
  else if (stats.errors.internal) error = `${stats.errors.internal} page(s) failed with an internal error (see the log)`;
  else if (stats.pages.main + stats.pages.not_modified === 0) error = "no main page could be fetched";
  const status = error === null ? "succeeded" : "failed";
  const now = inv.clock.now();
  if (!(await finishRun(inv.database, { jobId, attempt: progress.attempt, status, error, now }))) return;
  const job = await jobById(inv.database, jobId);
  if (!job) return;
  const log = new StepLog(inv, { job_id: jobId, source_id: job.source_id, scraper_id: job.scraper_id }, inv.settings.log.level);
  log.log(status === "succeeded" ? "INFO" : "ERROR", `crawl ${status}${error ? `: ${error}` : ""}`);
  await log.flush();
  if (job.update_schedule && !job.dry_run) await moveAfterRun(inv.database, job, runSucceeded(job), now);
  await queueJobWebhook(inv, job);
}
