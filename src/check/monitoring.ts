/**
 * @module
 * Monitoring alerts (SPEC.md §8, DDS `check_last_scraper_saves` / `check_last_checker_deletes`): a scraper whose
 * `last_scraper_save_alert_period` is set and that has not saved an item within it, or whose
 * `last_checker_delete_alert_period` is set and whose checkers have not deleted an item within it. Either usually
 * means the site changed under the scraper: its XPaths no longer match, or its checkers no longer notice deletions.
 */
import type { Database } from "../db/connect.ts";
import { alertPeriods } from "../db/definitions.ts";
import { ValidationError } from "../errors.ts";
import type { ScraperStatus } from "../model/enums.ts";

const HOUR = 3_600_000;
const UNIT_MS = { h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR } as const;

/**
 * An alert period (`12h`, `3d`, `1w`) in milliseconds; null for "no alert": an empty period, or a zero one, which
 * DDS also reads as unset (its zero `timedelta` is falsy). Anything else throws a ValidationError: definitions are
 * validated on the way in, so a malformed stored period is worth a loud failure, not a silently skipped scraper.
 */
export function parseAlertPeriod(period: string): number | null {
  const text = period.trim();
  if (text === "") return null;
  const m = /^(\d+)([hdw])$/.exec(text);
  if (!m) throw new ValidationError([{ path: "", message: `alert period "${period}" is not like "12h", "3d" or "1w"` }]);
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms === 0 ? null : ms;
}

/** A duration for people: its two largest units, `3d 4h`, `2h 5m`, `40s`. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  const parts: [number, string][] = [];
  let rest = Math.max(0, Math.floor(ms));
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (parts.length === 0 && n === 0) continue;
    parts.push([n, name]);
    if (parts.length === 2) break;
  }
  // "3d 0h" says no more than "3d".
  const shown = parts.filter(([n], i) => i === 0 || n > 0).map(([n, name]) => `${n}${name}`);
  return shown.length ? shown.join(" ") : "0s";
}

export interface LastActionAlert {
  scraper_id: number;
  scraper: string;
  status: ScraperStatus;
  /** The alert period as written: `12h`, `3d`, `1w`. */
  period: string;
  /** The last save (resp. checker delete), ISO 8601 UTC; null when there has been none. */
  last: string | null;
  /** What the period is counted from: `last`, or the scraper's `created_at` when there has been none. */
  since: string;
  /** How long past the end of the period `now` is. */
  overdue_ms: number;
  /** `overdue_ms` for people: `3d 4h`. */
  overdue_by: string;
}

export interface MonitoringReport {
  /** Scrapers that have the period set (and are considered: ACTIVE ones with `onlyActive`). */
  checked: number;
  alerts: LastActionAlert[];
}

export interface MonitoringOptions {
  /**
   * Only ACTIVE scrapers, as DDS's `--only-active` (`status == 'A'`). Without it every scraper with a period is
   * checked, whatever its status, as in DDS: the period is the user's request for an alert, and clearing it is how
   * a paused scraper is silenced.
   */
  onlyActive: boolean;
}

/** Scrapers that have not saved an item within their `last_scraper_save_alert_period` (`check-last-saves`). */
export function lastSaveAlerts(database: Database, now: Date, options: MonitoringOptions): Promise<MonitoringReport> {
  return alerts(database, now, options, "save");
}

/**
 * Scrapers with checkers whose checkers have not deleted an item within their `last_checker_delete_alert_period`
 * (`check-last-deletes`). A scraper without checkers cannot delete anything, so its period raises no alert.
 */
export function lastDeleteAlerts(database: Database, now: Date, options: MonitoringOptions): Promise<MonitoringReport> {
  return alerts(database, now, options, "delete");
}

async function alerts(database: Database, now: Date, options: MonitoringOptions, kind: "save" | "delete"): Promise<MonitoringReport> {
  const field = kind === "save" ? "last_scraper_save_alert_period" : "last_checker_delete_alert_period";
  const rows = await alertPeriods(database, kind, options);
  const report: MonitoringReport = { checked: 0, alerts: [] };
  for (const row of rows) {
    if (kind === "delete" && !row.checkers) continue;
    let periodMs: number | null;
    try {
      periodMs = parseAlertPeriod(row.period ?? "");
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      throw new ValidationError([{ path: `scrapers[${JSON.stringify(row.name)}].${field}`, message: e.issues[0]!.message }]);
    }
    if (periodMs === null) continue;
    report.checked++;
    // DDS alerts at once for a scraper that never saved ("Last scraper save not available!"), so every new
    // scraper alerts before it has had a chance to run. Counting from its creation gives it one period first.
    const since = row.last ?? row.created_at;
    const overdue = now.getTime() - periodMs - since.getTime();
    if (overdue <= 0) continue;
    report.alerts.push({
      scraper_id: row.id,
      scraper: row.name,
      status: row.status,
      period: row.period!.trim(),
      last: row.last ? row.last.toISOString() : null,
      since: since.toISOString(),
      overdue_ms: overdue,
      overdue_by: formatDuration(overdue),
    });
  }
  return report;
}
