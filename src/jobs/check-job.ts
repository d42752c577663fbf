/**
 * @module
 * An item check as a job (SPEC.md §6): refused when its scraper may not run, then run through the job lifecycle
 * (`lifecycle.ts`) with its log rows and stats. What the check does is `check/item-check.ts`; the runtime's next
 * time moves elsewhere, only for scheduled runs.
 */
import { checkItem, checkStarted, type ItemCheckDeps } from "../check/item-check.ts";
import { itemToCheck, type ItemToCheck } from "../db/items.ts";
import { jobById } from "../db/jobs.ts";
import { errorMessage, failureReason, NotFoundError } from "../errors.ts";
import { refuseUnrunnable } from "./definitions.ts";
import { claimRun, finishing, queueJob, type JobRow, type JobRun, type Sleep } from "./lifecycle.ts";
import { JobLog, type JobLogOptions } from "./log.ts";

export interface CheckJobDeps extends ItemCheckDeps {
  log: Omit<JobLogOptions, "clock">;
  /** Between the lease's heartbeats (default a timer). */
  sleep?: Sleep;
  heartbeatMs?: number;
  runner?: string;
  /** Told of each job this process ran once its final row is written (the webhook leaves from here); must not block. */
  onFinished?(job: JobRow): void;
}

export interface CheckRun {
  dryRun: boolean;
  /** Started by the scheduler: the scraper must be ACTIVE. */
  scheduled: boolean;
  updateSchedule: boolean;
}

/** A check by hand (or from the CLI): refused before any job exists when it cannot run, else queued and run now. */
export async function runCheckJob(deps: CheckJobDeps, itemId: number, run: CheckRun, signal: AbortSignal): Promise<JobRow> {
  const target = await checkTarget(deps, itemId, run.scheduled);
  const job = await queueJob(
    deps.database,
    { kind: "check", item_id: itemId, source_id: target.sourceId, scraper_id: target.scraperId, dry_run: run.dryRun, update_schedule: run.updateSchedule },
    deps.clock.now(),
  );
  const claimed = await claimRun(deps, job.id, signal);
  if (!claimed) return (await jobById(deps.database, job.id)) ?? job;
  const finished = await finishing(claimed, () => checkJob(deps, target, claimed));
  deps.onFinished?.(finished);
  return finished;
}

/** The item with what checking it needs; refused (NotFoundError, ConflictError) when it cannot be checked. */
export async function checkTarget(deps: Pick<CheckJobDeps, "database">, itemId: number, scheduled: boolean): Promise<ItemToCheck> {
  const target = await itemToCheck(deps.database, itemId);
  if (!target) throw new NotFoundError(`no item with id ${itemId}`);
  refuseUnrunnable(target, scheduled);
  return target;
}

/** Runs the check of a claimed job and finishes it. */
export async function checkJob(deps: CheckJobDeps, target: ItemToCheck, run: JobRun): Promise<JobRow> {
  const { clock } = deps;
  const log = new JobLog(deps.database, { job_id: run.job.id, source_id: target.sourceId, scraper_id: target.scraperId }, { ...deps.log, clock });
  run.onHeartbeatError = (e) => log.log("WARNING", `could not renew the job's lease: ${errorMessage(e)}`);
  const stats = checkStarted(target);
  let error: string | null = null;
  try {
    await checkItem(deps, target, stats, run.job.dry_run, log.log, run.signal);
  } catch (e) {
    const stopped = run.signal.aborted;
    error = !stopped ? failureReason(e) : run.stopReason === "interrupted" ? "cancelled (interrupted)" : "cancelled while running";
    log.log(stopped ? "WARNING" : "CRITICAL", error);
  }
  await log.flush();
  const status = error === null ? "succeeded" : run.signal.aborted ? "cancelled" : "failed";
  return run.finish(status, stats, error);
}
