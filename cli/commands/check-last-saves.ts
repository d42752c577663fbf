import { lastSaveAlerts, type LastActionAlert, type MonitoringOptions, type MonitoringReport } from "../../src/check/monitoring.ts";
import type { Database } from "../../src/db/connect.ts";
import { systemClock } from "../../src/ports.ts";
import type { FlagSpecs } from "../args.ts";
import { defineCommand, type Command } from "../command.ts";
import { formatTable } from "./checker-test.ts";
import { lastActionAlert } from "../../src/check/alerts.ts";
import { deliver, NOTIFY_FLAGS, notifierOf } from "../notify.ts";

const MONITORING_FLAGS = {
  "only-active": { type: "bool", help: "only ACTIVE scrapers (default: every scraper whose period is set, whatever its status)" },
  ...NOTIFY_FLAGS,
} as const satisfies FlagSpecs;

interface MonitoringCommandSpec {
  name: string;
  summary: string;
  /** What is watched, for people: "save", "checker delete". */
  action: string;
  /** The alert period's field, named in help. */
  field: string;
  /** `type` of the webhook alert. */
  alertType: "last_saves" | "last_deletes";
  /** Extra help lines. */
  scope?: string;
  check(database: Database, now: Date, options: MonitoringOptions): Promise<MonitoringReport>;
}

/**
 * check-last-saves and check-last-deletes: the same command over a different period. Exit 1 when an alert is
 * raised, as run-checker-tests exits 1 on an ERROR: a cron job or CI step fails visibly, with or without a webhook.
 */
export function monitoringCommand(spec: MonitoringCommandSpec): Command<typeof MONITORING_FLAGS> {
  return defineCommand({
    name: spec.name,
    args: "",
    summary: spec.summary,
    details: [
      `Alerts for every scraper whose ${spec.field} is set (like 12h, 3d, 1w) and whose last ${spec.action} is older`,
      `than that period. A scraper with no ${spec.action} yet counts from its creation, so a new scraper gets one`,
      `period before it alerts.${spec.scope ? ` ${spec.scope}` : ""}`,
      `With --notify the alerts are POSTed as {"type": "${spec.alertType}", "subject", "failures": [...], "sent_at"},`,
      "only when there are any.",
      "Exit 0 when no alert was raised, 1 when one was or the webhook could not be notified.",
    ].join("\n"),
    positionals: [0, 0],
    flags: MONITORING_FLAGS,
    async run(ctx) {
      const notifier = notifierOf(ctx.flags.notify);
      const database = await ctx.database();
      const report = await spec.check(database, systemClock.now(), { onlyActive: ctx.flags["only-active"] === true });
      const { alerts } = report;
      let delivery: { notified: boolean; notify_error?: string } = { notified: false };
      const alert = lastActionAlert(spec.alertType, alerts);
      if (notifier && alert) delivery = await deliver(notifier, alert);
      ctx.printJson({ checked: report.checked, alerts, ...delivery });
      if (alerts.length > 0) for (const line of alertsTable(alerts, spec.action)) ctx.print(line);
      ctx.print(
        `${report.checked} scraper${report.checked === 1 ? "" : "s"} with ${spec.field} checked: ${alerts.length === 0 ? "no alert" : `${alerts.length} alert${alerts.length === 1 ? "" : "s"}`}`,
      );
      if (delivery.notified) ctx.print(`notified the webhook of ${alerts.length} alert${alerts.length === 1 ? "" : "s"}`);
      return alerts.length > 0 || delivery.notify_error !== undefined ? 1 : 0;
    },
  });
}

function alertsTable(alerts: readonly LastActionAlert[], action: string): string[] {
  const time = (iso: string) => iso.replace(/\.\d{3}Z$/, "Z");
  return formatTable(
    ["ID", "SCRAPER", "STATUS", "PERIOD", "OVERDUE BY", `LAST ${action.toUpperCase()}`],
    alerts.map((a) => [String(a.scraper_id), a.scraper, a.status, a.period, a.overdue_by, a.last ? time(a.last) : `never (created ${time(a.since)})`]),
  );
}

export default monitoringCommand({
  name: "check-last-saves",
  summary: "alert on scrapers that have not saved an item within their last_scraper_save_alert_period",
  action: "save",
  field: "last_scraper_save_alert_period",
  alertType: "last_saves",
  check: lastSaveAlerts,
});
