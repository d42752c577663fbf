/**
 * @module
 * The alerts of the monitoring commands, built in one place for the CLI commands, `serve`'s daily round and (later)
 * the Worker's cron: which results are failures, and how they are announced.
 */
import type { Fetcher } from "../fetch/fetcher.ts";
import type { Database } from "../db/connect.ts";
import { scrapersWithCheckers } from "../db/definitions.ts";
import type { Alert, Clock, Notifier } from "../ports.ts";
import { testCheckers, type CheckerTestReport } from "./checker-test.ts";
import { lastDeleteAlerts, lastSaveAlerts, type LastActionAlert } from "./monitoring.ts";

/**
 * Failing checker tests: ERROR and WARNING results, or ERROR ones only (as DDS mails them with
 * `--report-only-errors`); undefined when there is nothing to report.
 */
export function checkerTestsAlert(results: readonly CheckerTestReport[], reportOnlyErrors: boolean): Alert | undefined {
  const failures = results.filter((r) => r.result === "ERROR" || (r.result === "WARNING" && !reportOnlyErrors));
  if (failures.length === 0) return undefined;
  const errors = results.filter((r) => r.result === "ERROR").length;
  const warnings = results.filter((r) => r.result === "WARNING").length;
  const scrapers = new Set(failures.map((r) => r.scraper)).size;
  const counts = reportOnlyErrors ? `${errors} ERROR` : `${errors} ERROR, ${warnings} WARNING`;
  return {
    type: "checker_tests",
    subject: `failing checker tests: ${counts} in ${scrapers} scraper${scrapers === 1 ? "" : "s"}`,
    failures: failures.map((r) => ({ ...r })),
  };
}

/** Scrapers without a save (or checker delete) within their alert period; undefined when there is none. */
export function lastActionAlert(type: "last_saves" | "last_deletes", alerts: readonly LastActionAlert[]): Alert | undefined {
  if (alerts.length === 0) return undefined;
  const action = type === "last_saves" ? "save" : "checker delete";
  return {
    type,
    subject: `${alerts.length} scraper${alerts.length === 1 ? "" : "s"} without a ${action} within the alert period: ${alerts.map((a) => a.scraper).join(", ")}`,
    failures: alerts.map((a) => ({ ...a })),
  };
}

/**
 * The daily round of a long-running dscraper: checker tests of the ACTIVE scrapers, then the last-save and
 * last-delete alerts, each sent when it has something to say. Returns what was sent; a failing webhook is
 * reported, not thrown, so one bad round does not stop the daemon.
 */
export async function dailyMonitoring(database: Database, fetcher: Fetcher, notifier: Notifier, clock: Clock, signal?: AbortSignal): Promise<{ sent: Alert[]; errors: string[] }> {
  const alerts: (Alert | undefined)[] = [];
  const results = (await Promise.all((await scrapersWithCheckers(database, { onlyActive: true })).map((s) => testCheckers(s, fetcher, signal)))).flat();
  alerts.push(checkerTestsAlert(results, false));
  alerts.push(lastActionAlert("last_saves", (await lastSaveAlerts(database, clock.now(), { onlyActive: true })).alerts));
  alerts.push(lastActionAlert("last_deletes", (await lastDeleteAlerts(database, clock.now(), { onlyActive: true })).alerts));
  const sent: Alert[] = [];
  const errors: string[] = [];
  for (const alert of alerts) {
    if (!alert) continue;
    try {
      await notifier.notify(alert);
      sent.push(alert);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  return { sent, errors };
}
