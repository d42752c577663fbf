/**
 * @module
 * Job rows (SPEC.md §4). A job is queued, claimed by one run (status running, `attempt` + 1: the run's fencing
 * token), kept alive by that run's heartbeats, and finished by it — each write after the claim conditional on the
 * row still being running under the same attempt. The database refuses a second active run of one source or item
 * (partial unique indexes), whatever process asks. The lifecycle over these rows is `jobs/lifecycle.ts`.
 */
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { ConflictError } from "../errors.ts";
import { ACTIVE_JOB_STATUSES, type JobKind, type JobStatus } from "../model/enums.ts";
import type { JobStats } from "../model/job-stats.ts";
import type { Database } from "./connect.ts";
import { jobs, sources } from "./schema.ts";

export type JobRow = typeof jobs.$inferSelect;

/** How a run ends. */
export type FinalJobStatus = Exclude<JobStatus, "queued" | "running">;

export interface NewJob {
  kind: JobKind;
  source_id?: number | null;
  scraper_id?: number | null;
  item_id?: number | null;
  dry_run?: boolean;
  update_schedule?: boolean;
  params?: Record<string, unknown>;
}

/** Which run holds a job: its id and the attempt it claimed. */
export interface JobLease {
  id: number;
  attempt: number;
}

/** Marks queued and running jobs whose lease was last renewed before `renewedBefore` failed; returns how many. */
export async function expireJobs(database: Database, renewedBefore: Date, now: Date): Promise<number> {
  const expired = await database.db
    .update(jobs)
    .set({ status: "failed", error: "lease expired: the process running this job stopped renewing it", finished_at: now })
    .where(and(inArray(jobs.status, [...ACTIVE_JOB_STATUSES]), lt(jobs.heartbeat_at, renewedBefore)))
    .returning({ id: jobs.id });
  return expired.length;
}

/** Writes a queued job; ConflictError naming the active job when its source (crawl) or item (check) has one. */
export async function insertJob(database: Database, job: NewJob, now: Date): Promise<JobRow> {
  try {
    const [row] = await database.db
      .insert(jobs)
      .values({ ...job, status: "queued", params: job.params ?? {}, stats: {}, created_at: now, heartbeat_at: now })
      .returning();
    return row!;
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    throw await conflictFor(database, job);
  }
}

/** drizzle wraps the driver's error; the constraint is named in the cause. */
function isUniqueViolation(e: unknown): boolean {
  for (let c: unknown = e; c instanceof Error; c = c.cause) {
    if (c.message.includes("UNIQUE constraint failed")) return true;
  }
  return false;
}

async function conflictFor(database: Database, job: NewJob): Promise<ConflictError> {
  const byItem = job.kind === "check";
  const [active] = await database.db
    .select({ id: jobs.id, status: jobs.status, started_at: jobs.started_at, created_at: jobs.created_at, source: sources.name })
    .from(jobs)
    .leftJoin(sources, eq(sources.id, jobs.source_id))
    .where(
      and(
        eq(jobs.kind, job.kind),
        inArray(jobs.status, [...ACTIVE_JOB_STATUSES]),
        byItem ? eq(jobs.item_id, job.item_id ?? -1) : eq(jobs.source_id, job.source_id ?? -1),
      ),
    );
  if (!active) return new ConflictError("another run started at the same moment; try again");
  const since = (active.started_at ?? active.created_at).toISOString();
  const what = byItem ? `item ${job.item_id} is already being checked` : `source "${active.source}" is already being crawled`;
  return new ConflictError(`${what} by job ${active.id} (${active.status} since ${since})`);
}

/**
 * Queued → running under the next attempt, held by `runner` (which process); undefined when the job is not queued
 * (taken, cancelled, expired).
 */
export async function claimJob(database: Database, id: number, now: Date, runner: string | null = null): Promise<JobRow | undefined> {
  const [row] = await database.db
    .update(jobs)
    .set({ status: "running", started_at: now, heartbeat_at: now, attempt: sql`${jobs.attempt} + 1`, runner })
    .where(and(eq(jobs.id, id), eq(jobs.status, "queued")))
    .returning();
  return row;
}

/**
 * Renews the lease, with the run's stats so far when given (what `GET /api/jobs/:id` shows of a running job); false
 * when the run no longer holds it (cancelled, expired, or claimed by another attempt).
 */
export async function renewLease(database: Database, lease: JobLease, now: Date, stats?: JobStats): Promise<boolean> {
  const renewed = await database.db
    .update(jobs)
    .set(stats === undefined ? { heartbeat_at: now } : { heartbeat_at: now, stats })
    .where(held(lease))
    .returning({ id: jobs.id });
  return renewed.length === 1;
}

/** The run's final status, stats and error; undefined (nothing written) when the run no longer holds the lease. */
export async function finishJob(database: Database, lease: JobLease, status: FinalJobStatus, stats: JobStats, error: string | null, now: Date): Promise<JobRow | undefined> {
  const [row] = await database.db.update(jobs).set({ status, stats, error, finished_at: now }).where(held(lease)).returning();
  return row;
}

/**
 * The stats of a run whose job was cancelled from outside while it ran (status, error and finish time stay the
 * cancel's); undefined when the job is not that attempt's cancelled job.
 */
export async function recordCancelledRunStats(database: Database, lease: JobLease, stats: JobStats): Promise<JobRow | undefined> {
  const [row] = await database.db
    .update(jobs)
    .set({ stats })
    .where(and(eq(jobs.id, lease.id), eq(jobs.attempt, lease.attempt), eq(jobs.status, "cancelled")))
    .returning();
  return row;
}

function held(lease: JobLease) {
  return and(eq(jobs.id, lease.id), eq(jobs.status, "running"), eq(jobs.attempt, lease.attempt));
}

/** Queued or running → cancelled; undefined when the job has already ended (or does not exist). */
export async function cancelJob(database: Database, id: number, now: Date): Promise<JobRow | undefined> {
  const [row] = await database.db
    .update(jobs)
    .set({ status: "cancelled", finished_at: now, error: "cancelled" })
    .where(and(eq(jobs.id, id), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
    .returning();
  return row;
}

export async function jobById(database: Database, id: number): Promise<JobRow | undefined> {
  return (await database.db.select().from(jobs).where(eq(jobs.id, id)))[0];
}

/** These jobs, in id order. */
export async function jobsByIds(database: Database, ids: readonly number[]): Promise<JobRow[]> {
  if (ids.length === 0) return [];
  return database.db
    .select()
    .from(jobs)
    .where(inArray(jobs.id, [...ids]))
    .orderBy(jobs.id);
}

/**
 * Renews the lease of jobs still queued (waiting for a worker in this process), so that they are not declared
 * dead while they wait; one statement for all of them.
 */
export async function renewQueuedLeases(database: Database, ids: readonly number[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await database.db
    .update(jobs)
    .set({ heartbeat_at: now })
    .where(and(inArray(jobs.id, [...ids]), eq(jobs.status, "queued")));
}

/** A running job and which process holds it (for a restart to find the runs of a process that is gone). */
export interface RunningJob extends JobLease {
  runner: string | null;
}

export async function runningJobs(database: Database): Promise<RunningJob[]> {
  return database.db.select({ id: jobs.id, attempt: jobs.attempt, runner: jobs.runner }).from(jobs).where(eq(jobs.status, "running")).orderBy(jobs.id);
}

/**
 * Marks a run whose process is gone failed with `error`, keeping the stats it last published; false when the run
 * is no longer that attempt's (it finished or was taken meanwhile).
 */
export async function failAbandonedRun(database: Database, lease: JobLease, error: string, now: Date): Promise<boolean> {
  const failed = await database.db.update(jobs).set({ status: "failed", error, finished_at: now }).where(held(lease)).returning({ id: jobs.id });
  return failed.length === 1;
}

/** The ids of the queued jobs, oldest first. */
export async function queuedJobIds(database: Database): Promise<number[]> {
  const rows = await database.db.select({ id: jobs.id }).from(jobs).where(eq(jobs.status, "queued")).orderBy(jobs.id);
  return rows.map((r) => r.id);
}
