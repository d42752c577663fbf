/**
 * @module
 * Scheduler runtime rows: created with their source or item, and their `runnable` flag kept in step with what
 * decides it (scraper status, source active, scraper has checkers).
 */
import { sql } from "drizzle-orm";
import type { Db } from "./connect.ts";

type Tx = Pick<Db, "run">;

/** When a source's scraper runtime may come due: its scraper is ACTIVE and the source is active. */
const SOURCE_RUNNABLE = sql`(SELECT s.status = 'ACTIVE' AND src.active FROM sources src JOIN scrapers s ON s.id = src.scraper_id WHERE src.id = scheduler_runtimes.source_id)`;
/** When an item's checker runtime may come due: its scraper is ACTIVE and has checkers. */
const ITEM_RUNNABLE = sql`(SELECT s.status = 'ACTIVE' AND json_array_length(s.definition, '$.checkers') > 0 FROM items i JOIN sources src ON src.id = i.source_id JOIN scrapers s ON s.id = src.scraper_id WHERE i.id = scheduler_runtimes.item_id)`;

/** A new source's scraper runtime: first run due at `now`. */
export async function createSourceRuntime(tx: Tx, sourceId: number, now: Date): Promise<void> {
  await tx.run(sql`INSERT INTO scheduler_runtimes (runtime_type, source_id, runnable, next_action_time, num_zero_actions, num_404)
    SELECT 'S', src.id, s.status = 'ACTIVE' AND src.active, ${now.getTime()}, 0, 0
    FROM sources src JOIN scrapers s ON s.id = src.scraper_id WHERE src.id = ${sourceId}`);
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

