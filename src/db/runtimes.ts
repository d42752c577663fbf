/**
 * @module
 * Scheduler runtime rows: created with their source or item, their `runnable` flag kept in step with what decides
 * it (scraper status, source active, scraper has checkers), the due ones picked for a tick, and moved after a run.
 *
 * The due queries walk the partial index `runtimes_due` (runtime_type, next_action_time WHERE runnable = 1) from its
 * oldest entry and stop after `limit` rows pass, probing the jobs table's partial unique index for each; the
 * runtimes of paused or inactive scrapers are not in that index and are never read. Turso bills rows read, so a
 * tick costs about two rows per runtime it steps over (the index entry, then the row for its source or item id):
 * `limit` plus those held by running jobs, however large the tables. test/schedule/due.test.ts asserts the plan,
 * bench/schedule.ts times it on 100,000 sources and 1,000,000 items.
 */
import type { InStatement } from "@libsql/client/web";
import { and, asc, eq, lte, notExists, sql, type SQL } from "drizzle-orm";
import { ACTIVE_JOB_STATUSES, type JobKind } from "../model/enums.ts";
import type { SchedulerConf } from "../model/scheduler-conf.ts";
import type { Database, Db } from "./connect.ts";
import { classes, items, jobs, scheduler_runtimes as runtimes, scrapers, sources } from "./schema.ts";

type Tx = Pick<Db, "run">;

/** `max_spider_runs_per_tick` (SPEC §7). */
export const MAX_SPIDER_RUNS_PER_TICK = 10;
/** `max_checker_runs_per_tick` (SPEC §7). */
export const MAX_CHECKER_RUNS_PER_TICK = 25;

/** When a source's scraper runtime may come due: its scraper is ACTIVE and the source is active. */
const SOURCE_RUNNABLE_SQL = "(SELECT s.status = 'ACTIVE' AND src.active FROM sources src JOIN scrapers s ON s.id = src.scraper_id WHERE src.id = scheduler_runtimes.source_id)";
const SOURCE_RUNNABLE = sql.raw(SOURCE_RUNNABLE_SQL);
/** When an item's checker runtime may come due: its scraper is ACTIVE and has checkers. */
const ITEM_RUNNABLE_SQL = "(SELECT s.status = 'ACTIVE' AND json_array_length(s.definition, '$.checkers') > 0 FROM items i JOIN sources src ON src.id = i.source_id JOIN scrapers s ON s.id = src.scraper_id WHERE i.id = scheduler_runtimes.item_id)";
const ITEM_RUNNABLE = sql.raw(ITEM_RUNNABLE_SQL);

/** A new source's scraper runtime: first run due at `now`. */
export async function createSourceRuntime(tx: Tx, sourceId: number, now: Date): Promise<void> {
  await tx.run(sql`INSERT INTO scheduler_runtimes (runtime_type, source_id, runnable, next_action_time, num_zero_actions, num_404)
    SELECT 'S', src.id, s.status = 'ACTIVE' AND src.active, ${now.getTime()}, 0, 0
    FROM sources src JOIN scrapers s ON s.id = src.scraper_id WHERE src.id = ${sourceId}`);
}

/** {@link createSourceRuntime} for many sources in one statement, for a raw client's transaction. */
export function createSourceRuntimesStatement(sourceIds: readonly number[], now: Date): InStatement {
  return {
    sql: `INSERT INTO scheduler_runtimes (runtime_type, source_id, runnable, next_action_time, num_zero_actions, num_404)
    SELECT 'S', src.id, s.status = 'ACTIVE' AND src.active, ?, 0, 0
    FROM sources src JOIN scrapers s ON s.id = src.scraper_id WHERE src.id IN (SELECT value FROM json_each(?)) ORDER BY src.id`,
    args: [now.getTime(), JSON.stringify(sourceIds)],
  };
}

/** {@link refreshRunnable} as statements, for a raw client's transaction. */
export function refreshRunnableStatements(scraperIds: readonly number[]): InStatement[] {
  if (scraperIds.length === 0) return [];
  const ids = "(SELECT value FROM json_each(?))";
  const args = [JSON.stringify(scraperIds)];
  return [
    { sql: `UPDATE scheduler_runtimes SET runnable = ${SOURCE_RUNNABLE_SQL} WHERE source_id IN (SELECT id FROM sources WHERE scraper_id IN ${ids})`, args },
    { sql: `UPDATE scheduler_runtimes SET runnable = ${ITEM_RUNNABLE_SQL} WHERE item_id IN (SELECT i.id FROM items i JOIN sources src ON src.id = i.source_id WHERE src.scraper_id IN ${ids})`, args },
  ];
}

/** Recomputes `runnable` for the runtimes of these scrapers' sources and items. */
export async function refreshRunnable(tx: Tx, scraperIds: readonly number[]): Promise<void> {
  if (scraperIds.length === 0) return;
  const ids = sql.join(scraperIds.map((id) => sql`${id}`), sql`, `);
  await tx.run(sql`UPDATE scheduler_runtimes SET runnable = ${SOURCE_RUNNABLE}
    WHERE source_id IN (SELECT id FROM sources WHERE scraper_id IN (${ids}))`);
  await tx.run(sql`UPDATE scheduler_runtimes SET runnable = ${ITEM_RUNNABLE}
    WHERE item_id IN (SELECT i.id FROM items i JOIN sources src ON src.id = i.source_id WHERE src.scraper_id IN (${ids}))`);
}

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
export function dueSourcesQuery({ db }: Pick<Database, "db">, now: Date, limit: number = MAX_SPIDER_RUNS_PER_TICK) {
  return db
    .select({ runtimeId: runtimes.id, sourceId: sql<number>`${runtimes.source_id}`, nextActionTime: runtimes.next_action_time })
    .from(runtimes)
    .where(dueWhere(db, "S", now, "crawl"))
    .orderBy(asc(runtimes.next_action_time), asc(runtimes.id))
    .limit(limit);
}

/** The query {@link dueCheckers} runs, unexecuted. The runtimes_owner CHECK makes item_id non-null for type C. */
export function dueCheckersQuery({ db }: Pick<Database, "db">, now: Date, limit: number = MAX_CHECKER_RUNS_PER_TICK) {
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
export async function dueSources(database: Pick<Database, "db">, now: Date, limit: number = MAX_SPIDER_RUNS_PER_TICK): Promise<DueSource[]> {
  return dueSourcesQuery(database, now, limit);
}

/** Items due for a check at `now`, oldest first, at most `limit`, without those a queued or running check holds. */
export async function dueCheckers(database: Pick<Database, "db">, now: Date, limit: number = MAX_CHECKER_RUNS_PER_TICK): Promise<DueChecker[]> {
  return dueCheckersQuery(database, now, limit);
}

/** Whose runtime: a source's (scraper runtime) or an item's (checker runtime). */
export type RuntimeOwner = { sourceId: number } | { itemId: number };

export type RuntimeRow = typeof runtimes.$inferSelect;

/** What a move writes: the next run's time and the state the arithmetic keeps. */
export interface RuntimeMove {
  next_action_time: Date;
  next_action_factor: number;
  num_zero_actions: number;
}

/**
 * The owner's runtime with the scheduler configuration of its class (the scraper conf for a source, the checker
 * conf for an item), in one read; undefined when there is none (the item was deleted by this very check).
 */
export async function runtimeToMove(database: Database, owner: RuntimeOwner): Promise<{ runtime: RuntimeRow; conf: SchedulerConf } | undefined> {
  const { db } = database;
  if ("sourceId" in owner) {
    const [row] = await db
      .select({ runtime: runtimes, cls: classes.definition })
      .from(runtimes)
      .innerJoin(sources, eq(sources.id, runtimes.source_id))
      .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
      .innerJoin(classes, eq(classes.id, scrapers.class_id))
      .where(eq(runtimes.source_id, owner.sourceId));
    return row && { runtime: row.runtime, conf: row.cls.scraper_scheduler_conf };
  }
  const [row] = await db
    .select({ runtime: runtimes, cls: classes.definition })
    .from(runtimes)
    .innerJoin(items, eq(items.id, runtimes.item_id))
    .innerJoin(classes, eq(classes.id, items.class_id))
    .where(eq(runtimes.item_id, owner.itemId));
  return row && { runtime: row.runtime, conf: row.cls.checker_scheduler_conf };
}

export async function saveRuntimeMove(database: Database, runtimeId: number, move: RuntimeMove): Promise<void> {
  await database.db.update(runtimes).set(move).where(eq(runtimes.id, runtimeId));
}
