/**
 * @module
 * What a scheduler tick picks (SPEC.md §7): the sources and the items whose runtime has come due, oldest first,
 * skipping those a queued or running job already holds.
 *
 * Both queries walk the partial index `runtimes_due` (runtime_type, next_action_time WHERE runnable = 1) from its
 * oldest entry and stop after `limit` rows pass, probing the jobs table's partial unique index for each; the
 * runtimes of paused or inactive scrapers are not in that index and are never read. Turso bills rows read, so a
 * tick costs about two rows per runtime it steps over (the index entry, then the row for its source or item id):
 * `limit` plus those held by running jobs, however large the tables. test/schedule/due.test.ts asserts the plan,
 * bench/schedule.ts times it on 100,000 sources and 1,000,000 items.
 */
import { and, asc, eq, lte, notExists, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/connect.ts";
import { jobs, scheduler_runtimes as runtimes } from "../db/schema.ts";
import { ACTIVE_JOB_STATUSES, type JobKind } from "../model/enums.ts";

/** `max_spider_runs_per_tick` (SPEC §7). */
export const MAX_SPIDER_RUNS_PER_TICK = 10;
/** `max_checker_runs_per_tick` (SPEC §7). */
export const MAX_CHECKER_RUNS_PER_TICK = 25;

/** A source whose scraper runtime is due. */
export interface DueSource {
  readonly runtimeId: number;
  readonly sourceId: number;
  readonly nextActionTime: Date;
}

/** An item whose checker runtime is due. */
export interface DueChecker {
  readonly runtimeId: number;
  readonly itemId: number;
  readonly nextActionTime: Date;
}

/**
 * SQLite uses a partial index only when the query's WHERE contains the index's own WHERE terms as written
 * (src/db/schema.ts), the IN list in the same order. A bound `kind = ?` matches only on builds that re-plan once
 * values are bound, and a mismatch silently turns a lookup into a scan of the whole table, so these fragments
 * spell the index conditions as SQL literals, never as parameters.
 */
const RUNNABLE = sql`${runtimes.runnable} = 1`;
const ACTIVE_STATUS_LIST = sql.raw(ACTIVE_JOB_STATUSES.map((s) => `'${s}'`).join(", "));

/** No queued or running job of this kind holds the runtime's source (crawl) or item (check). */
function notHeld(db: Db, kind: JobKind): SQL {
  const [jobColumn, runtimeColumn] = kind === "crawl" ? [jobs.source_id, runtimes.source_id] : [jobs.item_id, runtimes.item_id];
  const activeOfKind = sql`${jobs.kind} = ${sql.raw(`'${kind}'`)} AND ${jobs.status} IN (${ACTIVE_STATUS_LIST})`;
  return notExists(
    db
      .select({ one: sql`1` })
      .from(jobs)
      .where(and(eq(jobColumn, runtimeColumn), activeOfKind)),
  );
}

function dueWhere(db: Db, type: "S" | "C", now: Date, kind: JobKind): SQL | undefined {
  return and(eq(runtimes.runtime_type, type), RUNNABLE, lte(runtimes.next_action_time, now), notHeld(db, kind));
}

/**
 * The query {@link dueSources} runs, unexecuted: the tests read its SQL (`.toSQL()`) to check its plan.
 * Ties on next_action_time go to the older runtime (the index's trailing rowid keeps that order for free).
 * The runtimes_owner CHECK makes source_id non-null for type S.
 */
export function dueSourcesQuery(db: Db, now: Date, limit: number = MAX_SPIDER_RUNS_PER_TICK) {
  return db
    .select({ runtimeId: runtimes.id, sourceId: sql<number>`${runtimes.source_id}`, nextActionTime: runtimes.next_action_time })
    .from(runtimes)
    .where(dueWhere(db, "S", now, "crawl"))
    .orderBy(asc(runtimes.next_action_time), asc(runtimes.id))
    .limit(limit);
}

/** The query {@link dueCheckers} runs, unexecuted. The runtimes_owner CHECK makes item_id non-null for type C. */
export function dueCheckersQuery(db: Db, now: Date, limit: number = MAX_CHECKER_RUNS_PER_TICK) {
  return db
    .select({ runtimeId: runtimes.id, itemId: sql<number>`${runtimes.item_id}`, nextActionTime: runtimes.next_action_time })
    .from(runtimes)
    .where(dueWhere(db, "C", now, "check"))
    .orderBy(asc(runtimes.next_action_time), asc(runtimes.id))
    .limit(limit);
}

/**
 * Sources of ACTIVE scrapers whose next action time is at or before `now`, oldest first, at most `limit`,
 * without those a queued or running crawl holds (their place goes to the next due source).
 */
export async function dueSources(db: Db, now: Date, limit: number = MAX_SPIDER_RUNS_PER_TICK): Promise<DueSource[]> {
  return dueSourcesQuery(db, now, limit);
}

/** Items due for a check at `now`, oldest first, at most `limit`, without those a queued or running check holds. */
export async function dueCheckers(db: Db, now: Date, limit: number = MAX_CHECKER_RUNS_PER_TICK): Promise<DueChecker[]> {
  return dueCheckersQuery(db, now, limit);
}
