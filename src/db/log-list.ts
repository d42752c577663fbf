/**
 * @module
 * Log rows and log markers as the API lists them: rows newest first filtered by scraper, job, level (at or
 * above) and type; markers by id, created and deleted one at a time.
 */
import { and, asc, count, desc, eq, inArray, type SQL } from "drizzle-orm";
import { NotFoundError, ValidationError } from "../errors.ts";
import { LOG_LEVELS, type LogLevel, type MarkType } from "../model/enums.ts";
import type { LogMarkerInput } from "../model/log-marker.ts";
import type { Database } from "./connect.ts";
import type { Slice } from "./definition-pages.ts";
import { log_markers, logs, scrapers } from "./schema.ts";

export interface LogQuery {
  scraperId?: number;
  jobId?: number;
  /** Rows at this level or above. */
  level?: LogLevel;
  type?: MarkType;
}

function where(query: LogQuery): SQL | undefined {
  return and(
    query.scraperId === undefined ? undefined : eq(logs.scraper_id, query.scraperId),
    query.jobId === undefined ? undefined : eq(logs.job_id, query.jobId),
    query.level === undefined ? undefined : inArray(logs.level, LOG_LEVELS.slice(LOG_LEVELS.indexOf(query.level))),
    query.type === undefined ? undefined : eq(logs.type, query.type),
  );
}

const LOG_COLUMNS = {
  id: logs.id,
  date: logs.date,
  level: logs.level,
  message: logs.message,
  ref_object: logs.ref_object,
  type: logs.type,
  scraper_id: logs.scraper_id,
  scraper: scrapers.name,
  job_id: logs.job_id,
};

export async function logPage(database: Database, query: LogQuery, slice: Slice) {
  return database.db
    .select(LOG_COLUMNS)
    .from(logs)
    .leftJoin(scrapers, eq(scrapers.id, logs.scraper_id))
    .where(where(query))
    .orderBy(desc(logs.id))
    .limit(slice.limit)
    .offset(slice.offset);
}

export type LogRow = Awaited<ReturnType<typeof logPage>>[number];

export async function logCount(database: Database, query: LogQuery): Promise<number> {
  const [row] = await database.db.select({ n: count() }).from(logs).where(where(query));
  return row?.n ?? 0;
}

const MARKER_COLUMNS = {
  id: log_markers.id,
  message_contains: log_markers.message_contains,
  ref_object: log_markers.ref_object,
  scraper: scrapers.name,
  scraper_id: log_markers.scraper_id,
  mark_with_type: log_markers.mark_with_type,
  custom_type: log_markers.custom_type,
};

export async function logMarkersPage(database: Database, slice: Slice) {
  return database.db.select(MARKER_COLUMNS).from(log_markers).leftJoin(scrapers, eq(scrapers.id, log_markers.scraper_id)).orderBy(asc(log_markers.id)).limit(slice.limit).offset(slice.offset);
}

export type LogMarkerRow = Awaited<ReturnType<typeof logMarkersPage>>[number];

export async function logMarkerCount(database: Database): Promise<number> {
  const [row] = await database.db.select({ n: count() }).from(log_markers);
  return row?.n ?? 0;
}

/** Stores a marker; its scraper (by name) must exist. */
export async function createLogMarker(database: Database, marker: LogMarkerInput): Promise<LogMarkerRow> {
  let scraperId: number | null = null;
  if (marker.scraper !== null) {
    const [row] = await database.db.select({ id: scrapers.id }).from(scrapers).where(eq(scrapers.name, marker.scraper));
    if (!row) throw new ValidationError([{ path: "scraper", message: `scraper "${marker.scraper}" does not exist` }]);
    scraperId = row.id;
  }
  const [created] = await database.db
    .insert(log_markers)
    .values({ message_contains: marker.message_contains, ref_object: marker.ref_object, scraper_id: scraperId, mark_with_type: marker.mark_with_type, custom_type: marker.custom_type || null })
    .returning({ id: log_markers.id });
  const [row] = await database.db.select(MARKER_COLUMNS).from(log_markers).leftJoin(scrapers, eq(scrapers.id, log_markers.scraper_id)).where(eq(log_markers.id, created!.id));
  return row!;
}

export async function deleteLogMarker(database: Database, id: number): Promise<void> {
  const deleted = await database.db.delete(log_markers).where(eq(log_markers.id, id)).returning({ id: log_markers.id });
  if (deleted.length === 0) throw new NotFoundError(`no log marker with id ${id}`);
}
