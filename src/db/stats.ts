/**
 * @module
 * The figures of `GET /api/stats`: items per class and source (from `item_counts`, which triggers keep), items
 * added since two moments (one range of the `items_newest` index), jobs per status (the `jobs_status` index), and
 * per source its items, its next run and its last successful crawl (the `jobs_last_success` partial index).
 */
import type { Database } from "./connect.ts";

export interface Stats {
  items: { total: number; byClass: { name: string; n: number }[]; bySource: { name: string; n: number }[]; since: number[] };
  jobsByStatus: { status: string; n: number }[];
  sources: { id: number; name: string; scraper: string; items: number; last_success_at: Date | null; next_action_time: Date | null }[];
}

/** The figures; `since` holds how many items were created at or after each of `moments` (latest last is fastest). */
export async function stats(database: Database, moments: readonly Date[]): Promise<Stats> {
  const earliest = Math.min(...moments.map((m) => m.getTime()));
  const [byClass, bySource, since, jobs, sources] = await database.client.batch(
    [
      "SELECT classes.name AS name, coalesce(sum(item_counts.n), 0) AS n FROM classes LEFT JOIN item_counts ON item_counts.class_id = classes.id GROUP BY classes.id ORDER BY classes.id",
      "SELECT sources.name AS name, coalesce(sum(item_counts.n), 0) AS n FROM sources LEFT JOIN item_counts ON item_counts.source_id = sources.id GROUP BY sources.id ORDER BY sources.id",
      { sql: `SELECT ${moments.map((_, i) => `coalesce(sum(created_at >= ?${i + 2}), 0) AS n${i}`).join(", ")} FROM items WHERE created_at >= ?1`, args: [earliest, ...moments.map((m) => m.getTime())] },
      "SELECT status, count(*) AS n FROM jobs GROUP BY status",
      // The last success's terms are spelt as the partial index's, so that SQLite uses it (see runtimes.ts).
      `SELECT s.id, s.name, sc.name AS scraper, coalesce((SELECT sum(n) FROM item_counts WHERE source_id = s.id), 0) AS items,
         (SELECT max(finished_at) FROM jobs WHERE jobs.source_id = s.id AND kind = 'crawl' AND status = 'succeeded' AND dry_run = 0) AS last_success_at,
         r.next_action_time AS next_action_time
       FROM sources s JOIN scrapers sc ON sc.id = s.scraper_id LEFT JOIN scheduler_runtimes r ON r.source_id = s.id ORDER BY s.id`,
    ],
    "read",
  );
  const named = (rs: typeof byClass) => rs!.rows.map((r) => ({ name: String(r.name), n: Number(r.n) }));
  const classes = named(byClass);
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)));
  return {
    items: { total: classes.reduce((sum, c) => sum + c.n, 0), byClass: classes, bySource: named(bySource), since: moments.map((_, i) => Number(since!.rows[0]?.[`n${i}`] ?? 0)) },
    jobsByStatus: jobs!.rows.map((r) => ({ status: String(r.status), n: Number(r.n) })),
    sources: sources!.rows.map((r) => ({
      id: Number(r.id),
      name: String(r.name),
      scraper: String(r.scraper),
      items: Number(r.items),
      last_success_at: date(r.last_success_at),
      next_action_time: date(r.next_action_time),
    })),
  };
}
