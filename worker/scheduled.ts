/**
 * @module
 * The Cron Triggers. Every minute: the core's scheduler pass (`tick`: dead jobs expired, due sources and item
 * checks queued as jobs), each queued job enqueued as one message; no crawling happens here, and runtimes move
 * when the runs end, as in the binary. Once a day (`DSCRAPER_DAILY_CRON`): the checker tests of the ACTIVE
 * scrapers and the last-save / last-delete alerts, sent to the webhook (`DSCRAPER_NOTIFY_URL`) as
 * `dscraper serve --notify` does, then the housekeeping of the Worker's own tables.
 *
 * A cron invocation has the same subrequest budget as a queue invocation, counted the same way: the pass queues
 * as many jobs as it can afford (each costs two round trips), unless the tick caps are set.
 */
import type { ScheduledController } from "@cloudflare/workers-types";
import { dailyMonitoring } from "../src/check/alerts.ts";
import { webhookNotifier } from "../src/check/webhook.ts";
import { pruneHostState, runStatements } from "../src/db/host-slots.ts";
import { pruneInvocations } from "../src/db/invocations.ts";
import { renewQueuedLeases } from "../src/db/jobs.ts";
import { pruneEndedRuns } from "../src/db/runs.ts";
import { DEFAULT_TICK_CAPS, tick, type TickCaps } from "../src/jobs/tick.ts";
import type { Alert, Notifier } from "../src/ports.ts";
import type { Budget } from "./budget.ts";
import type { Env } from "./env.ts";
import { record } from "./queue/consumer.ts";
import { aliveUntil, createInvocation, logLine, type Invocation } from "./queue/invocation.ts";
import type { WorkerSettings } from "./settings.ts";

/** Invocation records are kept this long. */
const INVOCATIONS_KEPT_MS = 7 * 24 * 3_600_000;
/** The daily round waits this long for a busy host (a checker test has no later message to hand on to). */
const DAILY_HOST_WAIT_MS = 30_000;

export async function scheduled(controller: Pick<ScheduledController, "cron" | "scheduledTime">, vars: Env, settings: WorkerSettings): Promise<void> {
  const started = Date.now();
  const inv = createInvocation(vars, settings);
  try {
    if (controller.cron === settings.dailyCron) await daily(inv);
    else await schedulerPass(inv);
  } finally {
    inv.budget.close();
    await runStatements(inv.database, inv.gate.takePending()).catch(() => {});
    if (inv.outbox.length > 0) {
      await inv.budget.call("queue", () => vars.JOBS.sendBatch(inv.outbox.map((m) => ({ body: m.body }))));
    }
    await record(inv, `cron:${controller.cron}`, 0, started);
  }
}

/** The tick's caps: as configured, else as many jobs as the budget affords, a third of them crawls. */
export function tickCaps(settings: WorkerSettings, budget: Pick<Budget, "left">): TickCaps {
  // Expiring dead jobs and the two due queries come first, the queued jobs' leases last; each job is queued in
  // two round trips.
  const jobs = Math.max(0, Math.floor((budget.left - 4) / 2));
  const spiders = settings.tickCaps.spiders ?? Math.min(DEFAULT_TICK_CAPS.spiders, Math.ceil(jobs / 3));
  const checkers = settings.tickCaps.checkers ?? Math.min(DEFAULT_TICK_CAPS.checkers, Math.max(0, jobs - spiders));
  return { spiders, checkers };
}

async function schedulerPass(inv: Invocation): Promise<void> {
  const result = await tick(inv.database, { enqueue: async (id) => void inv.outbox.push({ body: { type: "job", job: id } }) }, inv.clock, tickCaps(inv.settings, inv.budget));
  const queued = [...result.crawls, ...result.checks];
  for (const id of queued) inv.jobs.add(id);
  // A queued job's lease is renewed while it waits for its message to come up (a backlog can take minutes), so
  // that the next pass does not take it for dead.
  if (queued.length > 0) await renewQueuedLeases(inv.database, queued, aliveUntil(inv));
  logLine("INFO", `tick: queued ${result.crawls.length} crawl(s) and ${result.checks.length} check(s)${result.expired ? `, expired ${result.expired} dead job(s)` : ""}`, {
    crawls: result.crawls,
    checks: result.checks,
  });
}

async function daily(inv: Invocation): Promise<void> {
  const url = inv.settings.notifyUrl;
  if (url === undefined) logLine("INFO", "daily round: no webhook (DSCRAPER_NOTIFY_URL), so no checker tests or alerts; housekeeping only");
  else {
    inv.gate.holder = "";
    inv.gate.maxWaitMs = DAILY_HOST_WAIT_MS;
    let spent = false;
    inv.gate.onGiveUp = (reason) => {
      if (reason.name === "BudgetSpent") spent = true;
    };
    const notifier: Notifier = webhookNotifier(url, (input, init) => inv.budget.call("fetches", () => fetch(input, init)));
    const { sent, errors } = await dailyMonitoring(inv.database, inv.fetcher, notifier, inv.clock);
    logLine("INFO", `daily monitoring: ${sent.length ? sent.map((a: Alert) => a.subject).join("; ") : "nothing to report"}`);
    for (const e of errors) logLine("ERROR", `daily monitoring could not notify: ${e}`);
    if (spent) logLine("ERROR", `the daily round needed more subrequests than DSCRAPER_SUBREQUEST_BUDGET (${inv.budget.limit}) allows: the checker tests past it failed for that reason, not their pages`);
  }
  const now = inv.clock.now();
  if (inv.budget.affords(3)) {
    await pruneEndedRuns(inv.database);
    await pruneInvocations(inv.database, new Date(now.getTime() - INVOCATIONS_KEPT_MS));
    await pruneHostState(inv.database, now);
  }
}
