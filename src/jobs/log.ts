/**
 * @module
 * What a job says while it runs: structured records (JSON-ready, with job, source and scraper ids) for the shell
 * to print, and log rows in the database at or above the configured level (SPEC.md §8), typed by log markers
 * and pruned to the newest `log_limit` rows per scraper.
 */
import type { Database } from "../db/connect.ts";
import { logMarkers, pruneLogs, saveLogRows } from "../db/logs.ts";
import { LOG_LEVELS, type LogLevel, type MarkType } from "../model/enums.ts";
import type { Clock } from "../ports.ts";

export interface LogRecord {
  time: string;
  level: LogLevel;
  msg: string;
  job_id: number | null;
  source_id: number | null;
  scraper_id: number | null;
  ref_object?: string;
}

export type LogSink = (record: LogRecord) => void;

export interface JobLogOptions {
  /** Rows below this level are not stored (default ERROR). */
  level: LogLevel;
  /** Rows kept per scraper (default 250). */
  limit: number;
  sink: LogSink;
  clock: Clock;
}

export function levelAtLeast(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

interface Row {
  message: string;
  ref_object: string | null;
  level: LogLevel;
  date: Date;
}

export class JobLog {
  private rows: Row[] = [];

  constructor(
    private readonly database: Database | undefined,
    private readonly ids: { job_id: number | null; source_id: number | null; scraper_id: number | null },
    private readonly options: JobLogOptions,
  ) {}

  readonly log = (level: LogLevel, message: string, refObject?: string): void => {
    const date = this.options.clock.now();
    this.options.sink({ time: date.toISOString(), level, msg: message, ...this.ids, ...(refObject ? { ref_object: refObject } : {}) });
    if (this.database && levelAtLeast(level, this.options.level)) this.rows.push({ message, ref_object: refObject ?? null, level, date });
  };

  /** Stores the rows said so far, typed by the markers that match them, then prunes the scraper's rows. */
  async flush(): Promise<void> {
    if (!this.database || this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    const { scraper_id, job_id } = this.ids;
    const markers = await logMarkers(this.database, scraper_id);
    const typeOf = (row: Row): MarkType | null =>
      markers.find((m) => row.message.includes(m.message_contains) && (m.ref_object === null || m.ref_object === row.ref_object))?.mark_with_type ?? null;
    await saveLogRows(
      this.database,
      rows.map((r) => ({ ...r, type: typeOf(r), scraper_id, job_id })),
    );
    await pruneLogs(this.database, scraper_id, this.options.limit);
  }
}
