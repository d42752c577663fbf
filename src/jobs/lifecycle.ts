/**
 * @module
 * One job lifecycle for every kind of job (crawls and checks alike, in the binary and in the Worker):
 *
 *   queue → claim → heartbeat… → finish
 *             ↘ cancel (from outside) / expire (lease ran out) ↙
 *
 * A claim turns a queued job into a running one under a new attempt number: the run's fencing token. The run
 * renews its lease every {@link HEARTBEAT_MS} (or faster), writing its stats so far with it; a job whose lease is
 * older than {@link LEASE_MS} is dead, and the next queue or tick marks it failed so that it no longer holds its
 * source or item. Every write of the run after
 * its claim is conditional on the row still being running under its attempt. So a run that lost its lease —
 * declared dead while it was only slow, or cancelled from outside — stops at its next heartbeat and never writes
 * its final status over the one it was given. It writes nothing, with one exception: a run cancelled from outside
 * records its stats (what it did until it noticed), keeping the cancel's status, error and finish time.
 */
import type { Database } from "../db/connect.ts";
import {
  cancelJob as cancelJobRow,
  claimJob,
  expireJobs,
  finishJob,
  insertJob,
  jobById,
  recordCancelledRunStats,
  renewLease,
  type FinalJobStatus,
  type JobLease,
  type JobRow,
  type NewJob,
} from "../db/jobs.ts";
import { failureReason } from "../errors.ts";
import type { JobStats } from "../model/job-stats.ts";
import type { Clock, JobQueue } from "../ports.ts";

export type { FinalJobStatus, JobRow, NewJob } from "../db/jobs.ts";

/**
 * A running job renews its lease this often by default (the Worker: each beat is a round trip to Turso); the binary
 * beats faster (`LifecycleDeps.heartbeatMs`), which is how a cancel from another process is noticed within seconds.
 */
export const HEARTBEAT_MS = 10_000;
/** …and one whose lease is older than this is dead (SPEC.md §4): it no longer blocks its source. */
export const LEASE_MS = 60_000;

/** Waits `ms`, or less when `signal` aborts (then it may resolve or reject). Tests drive time through it. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface LifecycleDeps {
  database: Database;
  clock: Clock;
  /** Between heartbeats; default a timer. */
  sleep?: Sleep;
  /** How often a run renews its lease, publishes its stats and learns whether it was cancelled (default {@link HEARTBEAT_MS}; at most that). */
  heartbeatMs?: number;
  /** Who runs the jobs this process claims (`jobs.runner`), so that a restart can tell its dead runs apart. */
  runner?: string;
}

/** Marks jobs whose lease ran out as failed, so that a crashed run never locks its source for good. */
export function expireDeadJobs(database: Database, now: Date): Promise<number> {
  return expireJobs(database, new Date(now.getTime() - LEASE_MS), now);
}

/** Queues a job; refused with ConflictError naming the active job when its source (or item) already has one. */
export async function queueJob(database: Database, job: NewJob, now: Date): Promise<JobRow> {
  await expireDeadJobs(database, now);
  return insertJob(database, job, now);
}

/**
 * Asks a queued or running job to stop; a running one stops at its next heartbeat. Undefined when it has ended.
 * `queue` is told when the job was running (it had started), as the webhook of a run is sent and a queued job's
 * is not.
 */
export async function cancelJob(database: Database, id: number, now: Date, queue?: Pick<JobQueue, "cancelled">): Promise<JobRow | undefined> {
  const row = await cancelJobRow(database, id, now);
  if (row?.started_at && queue?.cancelled) await queue.cancelled(row.id);
  return row;
}

/** Why a run stops before its end: its process asked (`interrupted`), a user cancelled the job, or the lease was lost. */
export type StopReason = "interrupted" | "cancelled" | "lease lost";

/** Thrown into the run's signal when its lease is gone. */
export class LeaseLostError extends Error {
  constructor(
    readonly jobId: number,
    readonly reason: Exclude<StopReason, "interrupted">,
  ) {
    super(reason === "cancelled" ? `job ${jobId} was cancelled` : `job ${jobId} lost its lease`);
    this.name = "LeaseLostError";
  }
}

/**
 * Claims job `jobId` for a run; undefined when it is not queued (re-delivered, cancelled or declared dead
 * meanwhile: someone else has dealt with it). The run's lease is renewed until it finishes.
 */
export async function claimRun(deps: LifecycleDeps, jobId: number, signal: AbortSignal): Promise<JobRun | undefined> {
  const job = await claimJob(deps.database, jobId, deps.clock.now(), deps.runner ?? null);
  return job && new JobRun(deps, job, signal);
}

/** A claimed job while its run goes on. */
export class JobRun {
  /** Aborted when the process asks the run to stop, or when the run no longer holds the job. */
  readonly signal: AbortSignal;
  private readonly stop = new AbortController();
  /** Ends the heartbeats. */
  private readonly ended = new AbortController();
  private readonly heartbeats: Promise<void>;
  private lost: Exclude<StopReason, "interrupted"> | undefined;
  private interrupted = false;
  private finished: JobRow | undefined;
  // Removed when the run finishes: a daemon's stop signal outlives thousands of runs.
  private readonly onOuterAbort: () => void;

  constructor(
    private readonly deps: LifecycleDeps,
    /** The row as claimed: status running, `attempt` the run's fencing token. */
    readonly job: JobRow,
    private readonly outer: AbortSignal,
  ) {
    this.signal = this.stop.signal;
    this.onOuterAbort = () => {
      if (this.stop.signal.aborted) return;
      this.interrupted = true;
      this.stop.abort(outer.reason);
    };
    if (outer.aborted) this.onOuterAbort();
    else outer.addEventListener("abort", this.onOuterAbort, { once: true });
    this.heartbeats = this.keepAlive(deps.sleep ?? sleep);
  }

  /** The run's fencing token: writes made under it are refused once the job is no longer the run's. */
  get lease(): JobLease {
    return { id: this.job.id, attempt: this.job.attempt };
  }

  /** Why the run was stopped, if it was. */
  get stopReason(): StopReason | undefined {
    if (this.interrupted) return "interrupted";
    return this.lost;
  }

  /** Called with a renewal's failure (the database could not be reached): the run goes on, the lease may expire. */
  onHeartbeatError: (error: unknown) => void = () => {};

  /** The run's stats so far, written with each heartbeat: a running job's live stats. */
  liveStats: (() => JobStats | Promise<JobStats>) | undefined;

  private async keepAlive(wait: Sleep): Promise<void> {
    const ended = this.ended.signal;
    const every = Math.min(this.deps.heartbeatMs ?? HEARTBEAT_MS, HEARTBEAT_MS);
    while (!ended.aborted) {
      try {
        await wait(every, ended);
      } catch {
        return;
      }
      if (ended.aborted) return;
      try {
        const stats = await this.liveStats?.();
        if (ended.aborted) return;
        if (await renewLease(this.deps.database, this.lease, this.deps.clock.now(), stats)) continue;
        const now = await jobById(this.deps.database, this.job.id);
        this.lost = now?.status === "cancelled" && now.attempt === this.job.attempt ? "cancelled" : "lease lost";
        if (!this.stop.signal.aborted) this.stop.abort(new LeaseLostError(this.job.id, this.lost));
        return;
      } catch (e) {
        this.onHeartbeatError(e);
      }
    }
  }

  /**
   * Ends the run with its status, stats and error, if it still holds the job; otherwise writes nothing (or only
   * the stats, when a user cancelled the job) and returns the row as it is.
   */
  async finish(status: FinalJobStatus, stats: JobStats, error: string | null): Promise<JobRow> {
    if (this.finished) return this.finished;
    this.ended.abort();
    this.outer.removeEventListener("abort", this.onOuterAbort);
    await this.heartbeats;
    const { database, clock } = this.deps;
    let row = await finishJob(database, this.lease, status, stats, error, clock.now());
    if (!row) {
      row = (await recordCancelledRunStats(database, this.lease, stats)) ?? (await jobById(database, this.job.id));
      this.lost ??= row?.status === "cancelled" && row.attempt === this.job.attempt ? "cancelled" : "lease lost";
    }
    if (!row) throw new Error(`job ${this.job.id} vanished while it ran`);
    this.finished = row;
    return row;
  }
}

/**
 * Runs `body` for a claimed job; should it throw instead of finishing the run, the job ends failed with the
 * reason (and the error goes on), so that no run is left holding its job until its lease runs out.
 */
export async function finishing(run: JobRun, body: () => Promise<JobRow>): Promise<JobRow> {
  try {
    return await body();
  } catch (e) {
    await run.finish("failed", {}, failureReason(e));
    throw e;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
