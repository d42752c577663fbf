/**
 * @module
 * Items no crawl has read since a cutoff (`items.last_seen_at`, moved by the pipeline's batch writes), for
 * `cleanup`: found a slice at a time through the `items_last_seen` index, and counted with what goes with them.
 * Items whose `last_seen_at` is null were written by something else than a crawl and are never stale.
 */
import type { Database } from "./connect.ts";

/** Items last seen before `before`, of one source or all. */
export interface Staleness {
  before: Date;
  sourceId?: number;
}

function where(s: Staleness, alias = "items"): { sql: string; args: number[] } {
  const sql = `${alias}.last_seen_at < ?${s.sourceId === undefined ? "" : ` AND ${alias}.source_id = ?`}`;
  return { sql, args: s.sourceId === undefined ? [s.before.getTime()] : [s.before.getTime(), s.sourceId] };
}

/** Up to `limit` stale item ids, lowest first. */
export async function staleItemIds(database: Database, s: Staleness, limit: number): Promise<number[]> {
  const w = where(s);
  const rows = await database.client.execute({ sql: `SELECT id FROM items WHERE ${w.sql} ORDER BY id LIMIT ?`, args: [...w.args, limit] });
  return rows.rows.map((r) => Number(r.id));
}

export interface StaleCounts {
  items: number;
  /** Image files used by stale items only (deleted with them). */
  images: number;
  /** Checker runtimes of stale items. */
  runtimes: number;
}

/** What deleting the stale items would delete, read in one batch. */
export async function countStaleItems(database: Database, s: Staleness): Promise<StaleCounts> {
  const inner = where(s, "i");
  const other = where(s, "j");
  const [items, runtimes, images] = await database.client.batch(
    [
      { sql: `SELECT count(*) AS n FROM items i WHERE ${inner.sql}`, args: inner.args },
      { sql: `SELECT count(*) AS n FROM scheduler_runtimes r JOIN items i ON i.id = r.item_id WHERE ${inner.sql}`, args: inner.args },
      {
        sql: `SELECT count(DISTINCT ii.key) AS n FROM item_images ii JOIN items i ON i.id = ii.item_id WHERE ${inner.sql}
              AND NOT EXISTS (SELECT 1 FROM item_images o JOIN items j ON j.id = o.item_id WHERE o.key = ii.key AND NOT (j.last_seen_at IS NOT NULL AND ${other.sql}))`,
        args: [...inner.args, ...other.args],
      },
    ],
    "read",
  );
  const n = (r: typeof items) => Number(r!.rows[0]!.n);
  return { items: n(items), runtimes: n(runtimes), images: n(images) };
}

/** How many of these items have a checker runtime (deleted with them by cascade). */
export async function countRuntimesOf(database: Database, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await database.client.execute({ sql: `SELECT count(*) AS n FROM scheduler_runtimes WHERE item_id IN (${ids.map(() => "?").join(", ")})`, args: [...ids] });
  return Number(rows.rows[0]!.n);
}
