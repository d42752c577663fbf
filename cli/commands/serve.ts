import { runQueuedJob } from "../../src/jobs/runner.ts";
import { systemClock } from "../../src/ports.ts";
import { DEFAULT_TICK_CAPS, tick } from "../../src/jobs/tick.ts";
import { dailyMonitoring } from "../../src/check/alerts.ts";
import { NOTIFY_FLAGS, notifierOf } from "../notify.ts";
import { defineCommand } from "../command.ts";
import { JOB_FLAGS, runnerDeps, stderrSink } from "../job-deps.ts";
import { LocalQueue } from "../local-queue.ts";
import { TICK_FLAGS } from "./tick.ts";

/** The scheduler looks for due work once a minute (SPEC.md §7). */
const TICK_MS = 60_000;
/** Checker tests and the last-save/last-delete alerts, when a webhook is configured. */
const DAILY_MS = 24 * 60 * 60_000;

export default defineCommand({
  name: "serve",
  args: "",
  summary: "run the scheduler as a daemon: a tick every minute, runs executed by a pool of workers",
  details: [
    "Stops cleanly on SIGINT or SIGTERM: running jobs end cancelled. Log records go to stderr as JSON lines.",
    "With --notify, once a day (the first time at start) it also runs the checker tests of the ACTIVE scrapers and",
    "check-last-saves / check-last-deletes, and POSTs what fails to the webhook.",
  ].join("\n"),
  positionals: [0, 0],
  flags: {
    "no-scheduler": { type: "bool", help: "run no ticks (only jobs queued otherwise)" },
    ...NOTIFY_FLAGS,
    ...TICK_FLAGS,
    ...JOB_FLAGS,
  },
  async run(ctx) {
    const f = ctx.flags;
    const notifier = notifierOf(f.notify);
    const database = await ctx.database();
    const sink = stderrSink({ quiet: f.quiet === true, verbose: true });
    const deps = runnerDeps(ctx, f, database, sink);
    const say = (msg: string, level: "INFO" | "ERROR" = "INFO") =>
      sink({ time: new Date().toISOString(), level, msg, job_id: null, source_id: null, scraper_id: null });
    const queue = new LocalQueue(
      f.workers ?? 4,
      async (id, signal) => {
        await runQueuedJob(deps, id, signal);
        // A daemon runs for weeks and JavaScriptCore gives memory back lazily: collect after each job (cli/memory.ts).
        Bun.gc(true);
      },
      database,
      systemClock,
      (id, e) => say(`job ${id} broke: ${e instanceof Error ? e.message : String(e)}`, "ERROR"),
    );
    const caps = { spiders: f["max-spider-runs"] ?? DEFAULT_TICK_CAPS.spiders, checkers: f["max-checker-runs"] ?? DEFAULT_TICK_CAPS.checkers };
    let ticking: Promise<void> = Promise.resolve();
    const runTick = () => {
      ticking = tick(database, queue, systemClock, caps)
        .then((r) => {
          if (r.crawls.length || r.checks.length || r.expired) say(`tick: queued ${r.crawls.length} crawl(s) and ${r.checks.length} check(s)${r.expired ? `, expired ${r.expired} dead job(s)` : ""}`);
        })
        .catch((e: unknown) => say(`tick failed: ${e instanceof Error ? e.message : String(e)}`, "ERROR"));
    };
    const scheduler = f["no-scheduler"] ? undefined : setInterval(runTick, TICK_MS);
    const monitoring = new AbortController();
    const runDaily = () => {
      if (!notifier) return;
      void dailyMonitoring(database, deps.fetcher, notifier, systemClock, monitoring.signal)
        .then(({ sent, errors }) => {
          say(`daily monitoring: ${sent.length ? sent.map((a) => a.subject).join("; ") : "nothing to report"}`);
          for (const e of errors) say(`daily monitoring could not notify: ${e}`, "ERROR");
        })
        .catch((e: unknown) => say(`daily monitoring failed: ${e instanceof Error ? e.message : String(e)}`, "ERROR"));
    };
    const daily = notifier ? setInterval(runDaily, DAILY_MS) : undefined;
    runDaily();
    say(`dscraper serve: ${f["no-scheduler"] ? "scheduler off" : "a tick every minute"}, ${f.workers ?? 4} worker(s), database ${f.db ?? "file:./data/dscraper.db"}`);
    if (scheduler) runTick();

    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        say(`${signal}: stopping; running jobs end cancelled`);
        if (scheduler) clearInterval(scheduler);
        if (daily) clearInterval(daily);
        monitoring.abort(new Error(`stopped by ${signal}`));
        void ticking.then(() => queue.stop(new Error(`stopped by ${signal}`))).then(resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    await deps.close();
    say("stopped");
  },
});
