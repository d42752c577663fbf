/**
 * @module
 * Log rows (SPEC.md §8): written in slices, typed by the log markers that match them, pruned to the newest rows
 * per scraper.
 */
import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { LogLevel } from "../model/enums.ts";
import type { Database } from "./connect.ts";
import { log_markers, logs } from "./schema.ts";

export type LogMarker = typeof log_markers.$inferSelect;

/** The markers that apply to a scraper's rows: its own and the global ones (scraper null). */
export async function logMarkers(database: Database, scraperId: number | null): Promise<LogMarker[]> {
  return database.db
    .select()
    .from(log_markers)
    .where(scraperId === null ? isNull(log_markers.scraper_id) : or(isNull(log_markers.scraper_id), eq(log_markers.scraper_id, scraperId)));
}

export interface LogRowInput {
  message: string;
  ref_object: string | null;
  level: LogLevel;
  date: Date;
  type: LogMarker["mark_with_type"] | null;
  scraper_id: number | null;
  job_id: number | null;
}

/** Large runs can say a lot: written in slices that stay within SQLite's and Hrana's statement size limits. */
export async function saveLogRows(database: Database, rows: readonly LogRowInput[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await database.db.insert(logs).values(rows.slice(i, i + 200));
}

/** Keeps the newest `limit` rows of the scraper (of the rows without one, when null). */
export async function pruneLogs(database: Database, scraperId: number | null, limit: number): Promise<void> {
  const { db } = database;
  const mine = scraperId === null ? isNull(logs.scraper_id) : eq(logs.scraper_id, scraperId);
  const [cut] = await db.select({ id: logs.id }).from(logs).where(mine).orderBy(desc(logs.id)).limit(1).offset(limit - 1);
  if (cut) await db.delete(logs).where(and(mine, lt(logs.id, cut.id)));
}
