/**
 * What `dscraper serve` runs, and `dscraper demo` with it: the HTTP API (`createApp` on `Bun.serve`), a scheduler
 * tick every minute, a pool of job workers, the daily monitoring round (with `--notify`), on the database and
 * image folder of the flags. Jobs live in the database: at start the running jobs of a process that is gone are
 * marked failed with the reason and the queued ones are taken up again. `stop()` stops accepting requests and
 * taking jobs, cancels the running ones (they end `cancelled`) and waits for them.
 */
import { dailyMonitoring } from "../src/check/alerts.ts";
import { createApp } from "../src/api/app.ts";
import { ADMIN_ASSETS } from "./admin-assets.ts";
import { DEFAULT_API_SETTINGS, type ApiBindings, type ApiSettings } from "../src/api/deps.ts";
import type { Database } from "../src/db/connect.ts";
import { recoverJobs } from "../src/jobs/recover.ts";
import { runQueuedJob } from "../src/jobs/runner.ts";
import { DEFAULT_TICK_CAPS, tick } from "../src/jobs/tick.ts";
import { systemClock } from "../src/ports.ts";
import { UsageError, type FlagSpecs } from "./args.ts";
import type { Context } from "./command.ts";
import { TICK_FLAGS } from "./commands/tick.ts";
import { JOB_FLAGS, runnerDeps } from "./job-deps.ts";
import { LocalQueue } from "./local-queue.ts";
import { logFormatOf, stdoutLog, type LogLine } from "./log-lines.ts";
import { NOTIFY_FLAGS, notifierOf } from "./notify.ts";
import { runnerGone } from "./runner-id.ts";

export const SERVE_FLAGS = {
  host: { type: "string", value: "HOST", env: "DSCRAPER_HOST", help: "address to listen on (default 127.0.0.1; without DSCRAPER_API_TOKEN only 127.0.0.1, ::1 or localhost)" },
  port: { type: "int", min: 0, value: "PORT", env: "DSCRAPER_PORT", help: "port to listen on (default 8787; 0: any free port)" },
  "rate-limit": { type: "int", min: 0, value: "N", env: "DSCRAPER_RATE_LIMIT", help: "API requests per second per token (per address without one), bursts of twice that (default 100; 0: no limit)" },
  "log-format": { type: "string", value: "FORMAT", env: "DSCRAPER_LOG_FORMAT", help: "log lines on stdout: json (default) or pretty" },
  "no-scheduler": { type: "bool", help: "run no ticks (only jobs queued otherwise)" },
  ...NOTIFY_FLAGS,
  ...TICK_FLAGS,
  ...JOB_FLAGS,
} as const satisfies FlagSpecs;

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8787;
/** The scheduler looks for due work once a minute (SPEC.md §7). */
const TICK_MS = 60_000;
/** Checker tests and the last-save/last-delete alerts, when a webhook is configured. */
const DAILY_MS = 24 * 60 * 60_000;
/** Where `createApp` serves the admin page (src/api/app.ts): printed at start beside the API docs. */
export const ADMIN_PATH = "/admin";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "[::1]"]);

export interface Service {
  /** `http://host:port`, the port the server got. */
  url: string;
  database: Database;
  /** The token clients must send, if any. */
  token: string | undefined;
  log(line: LogLine): void;
  /** Writes the log lines still pending (log lines go out in batches: `stdoutLog`). */
  flushLog(): void;
  say(msg: string, level?: "INFO" | "WARNING" | "ERROR", fields?: Record<string, unknown>): void;
  /** Stops accepting requests and taking jobs, cancels the running jobs and waits for them. */
  stop(reason: string): Promise<void>;
}

/** The client's address, asked of the server only when the rate limit needs it (a request without the token). */
function clientOf(request: Request, server: Pick<ReturnType<typeof Bun.serve>, "requestIP">): ApiBindings {
  return {
    get ip() {
      return server.requestIP(request)?.address;
    },
  };
}

/** Without a token the API is open to whoever reaches it: then only a loopback address may be served. */
export function checkHost(host: string, token: string | undefined): void {
  if (token !== undefined || LOOPBACK.has(host)) return;
  throw new UsageError(
    `--host ${host}: without DSCRAPER_API_TOKEN the API is open to anyone who can reach it, so it is served on 127.0.0.1, ::1 or localhost only; set DSCRAPER_API_TOKEN to serve ${host}`,
  );
}

export async function startService(ctx: Context<typeof SERVE_FLAGS>): Promise<Service> {
  const f = ctx.flags;
  const token = ctx.env.DSCRAPER_API_TOKEN || undefined;
  const host = f.host ?? DEFAULT_HOST;
  checkHost(host, token);
  const log = stdoutLog(logFormatOf(f["log-format"]));
  const notifier = notifierOf(f.notify);
  const say = (msg: string, level: "INFO" | "WARNING" | "ERROR" = "INFO", fields: Record<string, unknown> = {}) => log({ time: new Date().toISOString(), level, msg, ...fields });
  const database = await ctx.database();
  const deps = runnerDeps(ctx, f, database, (record) => {
    if (record.level !== "DEBUG") log({ ...record });
  });
  const queue = new LocalQueue(
    f.workers ?? 4,
    async (id, signal) => {
      await runQueuedJob(deps, id, signal);
      // A daemon runs for weeks and JavaScriptCore gives memory back lazily: collect after each job (cli/memory.ts).
      Bun.gc(true);
    },
    database,
    systemClock,
    (id, e) => say(`job ${id} broke: ${e instanceof Error ? e.message : String(e)}`, "ERROR", { job_id: id }),
  );

  const rate = f["rate-limit"] ?? DEFAULT_API_SETTINGS.rateLimit;
  const settings: ApiSettings = { ...DEFAULT_API_SETTINGS, rateLimit: rate, burst: f["rate-limit"] === undefined ? DEFAULT_API_SETTINGS.burst : 2 * rate, ...(token ? { token } : {}) };
  const app = createApp({ database, images: ctx.blobStore(), queue, clock: systemClock, fetcher: deps.fetcher, settings, log, adminAssets: ADMIN_ASSETS });
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({ hostname: host, port: f.port ?? DEFAULT_PORT, fetch: (request, srv) => app.fetch(request, clientOf(request, srv)) });
  } catch (e) {
    await deps.close();
    await queue.stop(new Error("not started"));
    throw new Error(`cannot listen on ${host}:${f.port ?? DEFAULT_PORT}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const shownHost = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const url = `http://${shownHost}:${server.port}`;

  const recovered = await recoverJobs(database, queue, systemClock, runnerGone);
  for (const id of recovered.failed) say(`job ${id} was running in a process that is gone: marked failed`, "WARNING", { job_id: id });
  if (recovered.requeued.length) say(`${recovered.requeued.length} queued job(s) taken up again: ${recovered.requeued.join(", ")}`);

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
  say(`dscraper serve: listening on ${url} (API docs: ${url}/api/docs, admin page: ${url}${ADMIN_PATH}); ${f["no-scheduler"] ? "scheduler off" : "a tick every minute"}, ${f.workers ?? 4} worker(s), database ${f.db ?? "file:./data/dscraper.db"}`, "INFO", { url });
  if (!token) say(`no DSCRAPER_API_TOKEN: the API is open to anyone who can reach ${host}, so it is bound to loopback only`, "WARNING");
  if (scheduler) runTick();

  let stopping: Promise<void> | undefined;
  return {
    url,
    database,
    token,
    log,
    flushLog: log.flush,
    say,
    stop: (reason) =>
      (stopping ??= (async () => {
        say(`${reason}: stopping; running jobs end cancelled`);
        if (scheduler) clearInterval(scheduler);
        if (daily) clearInterval(daily);
        monitoring.abort(new Error(reason));
        // Stop accepting first; the requests in flight are answered.
        const closed = server.stop();
        await ticking;
        await queue.stop(new Error(reason));
        await deps.webhooks.stop();
        await deps.close();
        await closed;
        say("stopped");
        log.flush();
      })()),
  };
}

/**
 * SIGINT and SIGTERM, listened to from the moment this is called (before the service starts: a signal that comes
 * while it starts is kept, not lost to the default handler). `until(service)` resolves once the service stopped
 * after the first signal; a second signal exits at once (130 or 143), whatever is still running.
 */
export function stopSignals(): { until(service: Service): Promise<void> } {
  let first: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  let say: Service["say"] | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (first !== undefined) {
      if (say) say(`${signal} again: exiting at once`, "WARNING");
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    first = signal;
    wake?.();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    async until(service) {
      say = service.say;
      if (first === undefined) await new Promise<void>((resolve) => (wake = resolve));
      await service.stop(first!);
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
