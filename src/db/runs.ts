/**
 * @module
 * Crawl runs driven by queue messages (the Worker): a run's start, its steps claimed under a lease, the end of a
 * step, the end of the run, and what is left of it afterwards (its failed pages). The page commits, where a step
 * hands over what its page gave, are `run-pages.ts`.
 *
 * Every step write is one batch (one round trip, one transaction) whose first statement moves the step and tags
 * it with a fresh `commit_id`; the batch's other statements are conditional on that tag, so a write repeated by a
 * re-delivered message, or by a run that lost the step's lease, changes nothing. Counts go into the job's stats
 * (`jobs.stats`) as they happen: the job shows its progress, and a cancelled job keeps what its run did.
 */
import type { InValue, Row } from "@libsql/client/web";
import type { Database } from "./connect.ts";
import type { FailedPage } from "../model/job.ts";
import type { JobStats } from "../model/job-stats.ts";
import type { JobRow } from "./jobs.ts";
import type { CompletedItemRow } from "./run-pages.ts";
import { addCounts, DB_NOW, json, num, runBatch, statement, str, type Statement } from "./statements.ts";

/** Counts to add to the job's stats: a path of keys and an amount. */
export type StatsCounts = readonly (readonly [readonly string[], number])[];

/** A page the run plans: its task (as the driver sends it) and, for main and follow pages, its request key. */
export interface PlannedPage<T> {
  kind: "MP" | "FP" | "DP";
  task: T;
  /** Main and follow pages: planned once per run unless `dontFilter`. */
  key?: string;
  dontFilter?: boolean;
}

/** A step to send as a message. */
export interface StepToSend<T> {
  id: number;
  kind: "MP" | "FP" | "DP";
  task: T;
}

export interface RunStart<T> {
  jobId: number;
  /** The job's attempt that claimed it (its fencing token). */
  attempt: number;
  plan: Record<string, unknown>;
  maxPages: number | null;
  maxItems: number | null;
  /** The job's stats before any page: every count at 0. */
  stats: Record<string, unknown>;
  pages: readonly PlannedPage<T>[];
  /** Until when the job counts as alive without another step (its lease's horizon). */
  aliveUntil: Date;
  /** Steps handed back to send at once; the rest wait for {@link stepsToSend}. */
  sendLimit: number;
}

/**
 * Starts the run of a claimed crawl job: its row, its main pages as steps, its stats at 0. Doing it again (a
 * re-delivered start) adds nothing. Returns the first main pages to send and how many wait; undefined when the
 * job is no longer running under that attempt.
 */
export async function startRun<T>(database: Database, start: RunStart<T>): Promise<{ steps: StepToSend<T>[]; pending: number } | undefined> {
  const v = { j: start.jobId, a: start.attempt };
  const held = "EXISTS (SELECT 1 FROM jobs WHERE id = :j AND status = 'running' AND attempt = :a)";
  const fresh = "NOT EXISTS (SELECT 1 FROM crawl_steps WHERE job_id = :j)";
  const results = await runBatch(database, [
    statement(`INSERT INTO crawl_runs (job_id, plan, pending, list_pages, items_read, max_pages, max_items) SELECT :j, :plan, 0, 0, 0, :mp, :mi WHERE ${held} ON CONFLICT DO NOTHING`, {
      ...v,
      plan: JSON.stringify(start.plan),
      mp: start.maxPages,
      mi: start.maxItems,
    }),
    statement(
      `INSERT INTO crawl_steps (job_id, parent_id, kind, task, status) SELECT :j, NULL, json_extract(p.value, '$.kind'), json_extract(p.value, '$.task'), 'pending'
       FROM json_each(:pages) p WHERE ${held} AND ${fresh} ORDER BY p.key`,
      { ...v, pages: JSON.stringify(firstOfEachKey(start.pages)) },
    ),
    statement(`INSERT INTO crawl_requests (job_id, key) SELECT :j, p.value FROM json_each(:keys) p WHERE ${held} ON CONFLICT DO NOTHING`, { ...v, keys: JSON.stringify(start.pages.flatMap((p) => (p.key === undefined ? [] : [p.key]))) }),
    statement(`UPDATE crawl_runs SET pending = (SELECT count(*) FROM crawl_steps WHERE job_id = :j AND status = 'pending') WHERE job_id = :j AND pending = 0`, v),
    statement(`UPDATE jobs SET stats = :stats, heartbeat_at = :alive WHERE id = :j AND status = 'running' AND attempt = :a AND stats = '{}'`, { ...v, stats: JSON.stringify(start.stats), alive: start.aliveUntil.getTime() }),
    statement(`SELECT pending FROM crawl_runs WHERE job_id = :j AND ${held}`, v),
    stepsQuery(start.jobId, null, 0, start.sendLimit),
  ]);
  const run = results[5]!.rows[0];
  if (run === undefined) return undefined;
  return { steps: results[6]!.rows.map((row) => stepFromRow<T>(row)), pending: num(run, "pending") };
}

/** Planned pages minus repeats of a request key (a `dontFilter` page is planned every time). */
function firstOfEachKey<T>(pages: readonly PlannedPage<T>[]): PlannedPage<T>[] {
  const seen = new Set<string>();
  return pages.filter((p) => p.key === undefined || p.dontFilter || (!seen.has(p.key) && seen.add(p.key)));
}

function stepsQuery(jobId: number, parentId: number | null, afterId: number, limit: number): Statement {
  return statement(
    `SELECT id, kind, task FROM crawl_steps WHERE job_id = :j AND ${parentId === null ? "parent_id IS NULL" : "parent_id = :p"} AND status = 'pending' AND id > :after ORDER BY id LIMIT :n`,
    { j: jobId, ...(parentId === null ? {} : { p: parentId }), after: afterId, n: limit },
  );
}

/** A step row (id, kind, task) as a step to send; its task as it was stored. */
export function stepFromRow<T>(row: Row): StepToSend<T> {
  return { id: num(row, "id"), kind: str(row, "kind") as StepToSend<T>["kind"], task: json<T>(row, "task")! };
}

/** Pending steps planned by `parentId` (null: the run's main pages) after step `afterId`, at most `limit`. */
export async function stepsToSend<T>(database: Database, jobId: number, parentId: number | null, afterId: number, limit: number): Promise<StepToSend<T>[]> {
  const [result] = await runBatch(database, [stepsQuery(jobId, parentId, afterId, limit)]);
  return result!.rows.map((row) => stepFromRow<T>(row));
}

export interface ClaimRequest {
  jobId: number;
  stepId: number;
  /** This run's lease token. */
  token: string;
  /** The token of the run that handed the step on (a message carried over), which may take it over at once. */
  carried?: string;
  leaseMs: number;
  /** Read the run's plan too (the isolate has not cached it). */
  withPlan: boolean;
}

export type StepStatus = "pending" | "read" | "done" | "failed";

/** The step as claimed, or as found when the claim failed. */
export interface ClaimedStep<I, T> {
  /** Undefined when there is no such step (the run finished and was cleaned up). */
  status: StepStatus | undefined;
  /** Whether this run now holds the step's lease. */
  held: boolean;
  /** When not held and the step is pending or read: how long another run still holds it. */
  leaseLeftMs: number;
  kind: "MP" | "FP" | "DP" | undefined;
  task: T | undefined;
  /** List pages: admitted within max_pages_read / max_items_read. */
  admitted: boolean;
  /** The items the page completed, when the step was read but its items not yet stored. */
  items: CompletedItemRow<I>[] | null;
  attempts: number;
  /** The last failed attempt's error, if any. */
  error: string | null;
  job: { status: JobRow["status"]; attempt: number; sourceId: number | null; dryRun: boolean; updateSchedule: boolean } | undefined;
  run: { pending: number; savedSoFar: number; plan: Record<string, unknown> | null } | undefined;
  /** Pending steps this step planned, when it is past pending (to send again: their messages may be lost). */
  children: StepToSend<T>[];
  /** The stored validator of a list page's request. */
  validator: { etag: string | null; lastModified: string | null } | undefined;
}

/**
 * Claims a step for this run (a lease until `leaseMs` from now), admits a list page within the run's limits the
 * first time it is claimed, and reads what running it needs — in one round trip.
 */
export async function claimStep<I, T>(database: Database, claim: ClaimRequest, commitId: string): Promise<ClaimedStep<I, T>> {
  const v: Record<string, InValue> = { j: claim.jobId, s: claim.stepId, t: claim.token, c: claim.carried ?? null, lease: claim.leaseMs, n: commitId };
  const results = await runBatch(database, [
    statement(
      `UPDATE crawl_steps SET token = :t, lease_until = ${DB_NOW} + :lease
       WHERE id = :s AND job_id = :j AND status IN ('pending', 'read') AND (lease_until IS NULL OR lease_until <= ${DB_NOW} OR token = :c)`,
      v,
    ),
    statement(
      `UPDATE crawl_steps SET commit_id = :n, admitted = (SELECT (r.max_pages IS NULL OR r.list_pages < r.max_pages) AND (r.max_items IS NULL OR r.items_read < r.max_items) FROM crawl_runs r WHERE r.job_id = :j)
       WHERE id = :s AND token = :t AND status = 'pending' AND kind IN ('MP', 'FP') AND admitted IS NULL`,
      v,
    ),
    statement(`UPDATE crawl_runs SET list_pages = list_pages + 1 WHERE job_id = :j AND EXISTS (SELECT 1 FROM crawl_steps WHERE id = :s AND commit_id = :n AND admitted = 1)`, v),
    statement(`SELECT status, kind, task, items, admitted, attempts, error, token = :t AS held, max(0, coalesce(lease_until, 0) - ${DB_NOW}) AS lease_left FROM crawl_steps WHERE id = :s AND job_id = :j`, v),
    statement(
      `SELECT j.status, j.attempt, j.source_id, j.dry_run, j.update_schedule, r.pending, coalesce(json_extract(j.stats, '$.items.saved'), 0) AS saved, ${claim.withPlan ? "r.plan" : "NULL"} AS plan
       FROM jobs j LEFT JOIN crawl_runs r ON r.job_id = j.id WHERE j.id = :j`,
      v,
    ),
    statement(`SELECT id, kind, task FROM crawl_steps WHERE parent_id = :s AND status = 'pending' AND (SELECT status FROM crawl_steps WHERE id = :s) <> 'pending' ORDER BY id LIMIT 500`, v),
    statement(
      `SELECT etag, last_modified FROM page_validators WHERE source_id = (SELECT source_id FROM jobs WHERE id = :j)
       AND request_key = (SELECT json_extract(task, '$.key') FROM crawl_steps WHERE id = :s AND kind IN ('MP', 'FP'))`,
      v,
    ),
  ]);
  const step = results[3]!.rows[0];
  const job = results[4]!.rows[0];
  const validator = results[6]!.rows[0];
  return {
    status: (str(step, "status") ?? undefined) as StepStatus | undefined,
    held: num(step, "held") === 1,
    leaseLeftMs: num(step, "lease_left"),
    kind: (str(step, "kind") ?? undefined) as ClaimedStep<I, T>["kind"],
    task: json<T>(step, "task") ?? undefined,
    admitted: num(step, "admitted") === 1,
    items: json<CompletedItemRow<I>[]>(step, "items"),
    attempts: num(step, "attempts"),
    error: str(step, "error"),
    job: job && {
      status: str(job, "status") as JobRow["status"],
      attempt: num(job, "attempt"),
      sourceId: job.source_id === null ? null : num(job, "source_id"),
      dryRun: num(job, "dry_run") === 1,
      updateSchedule: num(job, "update_schedule") === 1,
    },
    run: job && job.pending !== null ? { pending: num(job, "pending"), savedSoFar: num(job, "saved"), plan: json<Record<string, unknown>>(job, "plan") } : undefined,
    children: results[5]!.rows.map((row) => stepFromRow<T>(row)),
    validator: validator && { etag: str(validator, "etag"), lastModified: str(validator, "last_modified") },
  };
}

/** The end of a step whose page is read: the pipeline's counts, one step less to go. */
export interface StepEnd {
  jobId: number;
  stepId: number;
  token: string;
  counts: StatsCounts;
  aliveUntil: Date;
  /** The step could not be completed (its items not stored): it ends failed with this error. */
  error?: string;
  /** Statements to run in the same round trip (host releases). */
  extra?: readonly Statement[];
}

export interface StepEnded {
  /** Whether this write ended the step (false: it had ended already, or another run holds it). */
  ended: boolean;
  /** Steps of the run not done yet. */
  pending: number;
}

/** Ends a read step (done, or failed when it recorded an error) and counts what its items gave. */
export async function endStep(database: Database, end: StepEnd, commitId: string): Promise<StepEnded> {
  const v = { j: end.jobId, s: end.stepId, t: end.token, n: commitId, alive: end.aliveUntil.getTime(), e: end.error ?? null };
  const guard = "EXISTS (SELECT 1 FROM crawl_steps WHERE id = :s AND commit_id = :n)";
  const stats = addCounts("stats", end.counts, "k");
  const results = await runBatch(database, [
    statement(
      `UPDATE crawl_steps SET error = coalesce(:e, error), status = CASE WHEN coalesce(:e, error) IS NULL THEN 'done' ELSE 'failed' END, items = NULL, commit_id = :n, token = NULL, lease_until = NULL
       WHERE id = :s AND token = :t AND (status = 'read' OR (status = 'pending' AND :e IS NOT NULL))`,
      v,
    ),
    statement(`UPDATE jobs SET stats = ${stats.sql}, heartbeat_at = max(coalesce(heartbeat_at, 0), :alive) WHERE id = :j AND status IN ('running', 'cancelled') AND ${guard}`, { ...v, ...stats.values }),
    statement(`UPDATE crawl_runs SET pending = pending - 1 WHERE job_id = :j AND ${guard}`, v),
    ...(end.extra ?? []),
    statement(`SELECT (SELECT commit_id = :n FROM crawl_steps WHERE id = :s) AS ended, (SELECT pending FROM crawl_runs WHERE job_id = :j) AS pending`, v),
  ]);
  const row = results.at(-1)!.rows[0];
  return { ended: num(row, "ended") === 1, pending: row?.pending === null ? -1 : num(row, "pending") };
}

/**
 * Gives a step back after a failed attempt, for the next delivery to take at once: the lease is dropped and the
 * attempt's error kept (the dead-letter consumer names it if no attempt succeeds).
 */
export async function releaseStep(database: Database, step: { stepId: number; token: string }, error: string, extra: readonly Statement[] = []): Promise<void> {
  await runBatch(database, [
    statement(`UPDATE crawl_steps SET token = NULL, lease_until = NULL, error = :e, attempts = attempts + 1 WHERE id = :s AND token = :t AND status IN ('pending', 'read')`, { s: step.stepId, t: step.token, e: error }),
    ...extra,
  ]);
}

/** The run's progress: steps left, and the job's state. Undefined when the run does not exist (any more). */
export async function runProgress(database: Database, jobId: number): Promise<{ pending: number; job: JobRow["status"]; attempt: number; stats: JobStats } | undefined> {
  const [result] = await runBatch(database, [statement(`SELECT r.pending, j.status, j.attempt, j.stats FROM crawl_runs r JOIN jobs j ON j.id = r.job_id WHERE r.job_id = :j`, { j: jobId })]);
  const row = result!.rows[0];
  return row && { pending: num(row, "pending"), job: str(row, "status") as JobRow["status"], attempt: num(row, "attempt"), stats: json<JobStats>(row, "stats") ?? {} };
}

/**
 * Ends the run's job with its status and error (its stats are the ones counted along the way), if the job is
 * still running under `attempt` and no step is left; the run's rows go once its job has ended, but its failed
 * steps. Whether this call ended the job (false: someone else finished or cancelled it, or steps are left).
 */
export async function finishRun(database: Database, end: { jobId: number; attempt: number; status: "succeeded" | "failed"; error: string | null; now: Date }): Promise<boolean> {
  const v = { j: end.jobId, a: end.attempt, st: end.status, e: end.error, now: end.now.getTime() };
  const results = await runBatch(database, [
    statement(
      `UPDATE jobs SET status = :st, error = :e, finished_at = :now WHERE id = :j AND status = 'running' AND attempt = :a AND (SELECT pending FROM crawl_runs WHERE job_id = :j) = 0 RETURNING id`,
      v,
    ),
    ...cleanup("job_id = :j AND (SELECT status FROM jobs WHERE id = :j) <> 'running'", v),
  ]);
  return results[0]!.rows.length === 1;
}

/** Statements removing the rows of the runs that `where` selects (by `job_id`), but their failed steps. */
function cleanup(where: string, values: Record<string, InValue>): Statement[] {
  return [
    statement(`DELETE FROM crawl_waits WHERE ${where}`, values),
    statement(`DELETE FROM crawl_waiting WHERE ${where}`, values),
    statement(`DELETE FROM crawl_slots WHERE ${where}`, values),
    statement(`DELETE FROM crawl_requests WHERE ${where}`, values),
    statement(`DELETE FROM crawl_steps WHERE status <> 'failed' AND ${where}`, values),
    statement(`DELETE FROM crawl_runs WHERE ${where}`, values),
  ];
}

/**
 * Ends a job that never got a run (its first message kept failing): failed with `error`. Whether it did (false:
 * it had ended, or its run exists and its steps will end it).
 */
export async function abandonJob(database: Database, jobId: number, error: string, now: Date): Promise<boolean> {
  const [result] = await runBatch(database, [
    statement(
      `UPDATE jobs SET status = 'failed', error = :e, finished_at = :now WHERE id = :j AND status IN ('queued', 'running') AND NOT EXISTS (SELECT 1 FROM crawl_runs WHERE job_id = :j) RETURNING id`,
      { j: jobId, e: error, now: now.getTime() },
    ),
  ]);
  return result!.rows.length === 1;
}

/** Removes what is left of runs whose job has ended (cancelled, or expired), but their failed steps. */
export async function pruneEndedRuns(database: Database): Promise<void> {
  await runBatch(database, cleanup("job_id IN (SELECT job_id FROM crawl_runs r JOIN jobs j ON j.id = r.job_id WHERE j.status NOT IN ('queued', 'running'))", {}));
}

/** The pages of a job that failed for good, in the order they were planned. */
/** Items of a run still waiting for detail pages (never handed out: a stopped run does not store them). */
export async function waitingItems(database: Database, jobId: number): Promise<number> {
  const [result] = await runBatch(database, [statement(`SELECT count(*) AS n FROM crawl_waiting WHERE job_id = :j`, { j: jobId })]);
  return num(result!.rows[0]!, "n");
}

export async function failedPages(database: Database, jobId: number): Promise<FailedPage[]> {
  const [result] = await runBatch(database, [
    statement(`SELECT kind, coalesce(json_extract(task, '$.url'), json_extract(task, '$.request.url')) AS url, error, attempts FROM crawl_steps WHERE job_id = :j AND status = 'failed' ORDER BY id`, { j: jobId }),
  ]);
  return result!.rows.map((row) => ({ kind: str(row, "kind") ?? "", url: str(row, "url") ?? "", error: str(row, "error") ?? "", attempts: num(row, "attempts") }));
}
