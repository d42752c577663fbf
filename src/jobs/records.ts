/**
 * @module
 * Job rows: a run is queued, then running (renewing a lease), then succeeded, failed or cancelled. The database
 * refuses a second active run of one source (a partial unique index), so no two processes can overlap it.
 */
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { ConflictError } from "../errors.ts";
import type { Db } from "../db/connect.ts";
import { jobs, sources } from "../db/schema.ts";
import { ACTIVE_JOB_STATUSES, type JobKind, type JobStatus } from "../model/enums.ts";

/** A running job renews its lease this often… */
export const HEARTBEAT_MS = 10_000;
/** …and one whose lease is older than this is dead (SPEC.md §4): it no longer blocks its source. */
export const LEASE_MS = 60_000;

export type JobRow = typeof jobs.$inferSelect;

export interface NewJob {
  kind: JobKind;
  source_id?: number | null;
  scraper_id?: number | null;
  item_id?: number | null;
  dry_run?: boolean;
  update_schedule?: boolean;
  params?: Record<string, unknown>;
}

/** Marks jobs whose lease ran out as failed, so that a crashed run never locks its source for good. */
export async function expireDeadJobs(db: Db, now: Date): Promise<number> {
  const expired = await db
    .update(jobs)
    .set({ status: "failed", error: "lease expired: the process running this job stopped renewing it", finished_at: now })
    .where(and(inArray(jobs.status, [...ACTIVE_JOB_STATUSES]), lt(jobs.heartbeat_at, new Date(now.getTime() - LEASE_MS))))
    .returning({ id: jobs.id });
  return expired.length;
}

/** Queues a job; refused with ConflictError naming the active job when its source (or item) already has one. */
export async function createJob(db: Db, job: NewJob, now: Date): Promise<JobRow> {
  await expireDeadJobs(db, now);
  try {
    const [row] = await db
      .insert(jobs)
      .values({ ...job, status: "queued", params: job.params ?? {}, stats: {}, created_at: now, heartbeat_at: now })
      .returning();
    return row!;
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    throw await conflictFor(db, job);
  }
}

/** drizzle wraps the driver's error; the constraint is named in the cause. */
function isUniqueViolation(e: unknown): boolean {
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) {
    if (String((c as { message?: unknown }).message ?? "").includes("UNIQUE constraint failed")) return true;
  }
  return false;
}

async function conflictFor(db: Db, job: NewJob): Promise<ConflictError> {
  const byItem = job.kind === "check";
  const [active] = await db
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

/** Marks a queued job running; false when it is no longer queued (cancelled or declared dead meanwhile). */
export async function startJob(db: Db, id: number, now: Date): Promise<boolean> {
  const started = await db
    .update(jobs)
    .set({ status: "running", started_at: now, heartbeat_at: now })
    .where(and(eq(jobs.id, id), eq(jobs.status, "queued")))
    .returning({ id: jobs.id });
  return started.length === 1;
}

export async function jobById(db: Db, id: number): Promise<JobRow | undefined> {
  return (await db.select().from(jobs).where(eq(jobs.id, id)))[0];
}

/** Renews the lease; false when the job is no longer running (cancelled, or declared dead), so the run stops. */
export async function heartbeat(db: Db, id: number, now: Date): Promise<boolean> {
  const renewed = await db
    .update(jobs)
    .set({ heartbeat_at: now })
    .where(and(eq(jobs.id, id), eq(jobs.status, "running")))
    .returning({ id: jobs.id });
  return renewed.length === 1;
}

export async function finishJob(db: Db, id: number, status: Exclude<JobStatus, "queued" | "running">, stats: Record<string, unknown>, error: string | null, now: Date): Promise<JobRow> {
  // A job cancelled from outside keeps that status: the run only learns of it at its next heartbeat.
  const [row] = await db
    .update(jobs)
    .set({ status: sql`CASE WHEN ${jobs.status} = 'cancelled' THEN 'cancelled' ELSE ${status} END`, stats, error, finished_at: now })
    .where(eq(jobs.id, id))
    .returning();
  return row!;
}

/** Asks a queued or running job to stop; a running one stops at its next heartbeat. */
export async function cancelJob(db: Db, id: number, now: Date): Promise<JobRow | undefined> {
  const [row] = await db
    .update(jobs)
    .set({ status: "cancelled", finished_at: now, error: "cancelled" })
    .where(and(eq(jobs.id, id), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
    .returning();
  return row;
}
