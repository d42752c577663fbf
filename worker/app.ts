/**
 * @module
 * The shared app (API, API docs, admin page: `src/api/app.ts`) as the Worker serves it, built once per isolate
 * with the Worker's ports:
 * - the database of `database.ts` (opened, and its migrations checked, by the isolate's first request only);
 * - images in R2 (`R2BlobStore`);
 * - the jobs queue (`job-queue.ts`): a crawl or check asked for over the API is run by the queue consumer;
 * - a fetcher for the checker test and the admin's "try it" that goes through a host gate of the request's own,
 *   so that it keeps the per-host delay and lanes that crawls keep across isolates (`politeness.ts`);
 * - the settings from the vars, the system clock, the admin's assets (wrangler's Text rule), JSON log lines.
 *
 * Every subrequest those ports make is counted against the budget of the request it was made for
 * (`request-scope.ts`); the access-log line of a request says how many it made.
 */
import { createApp, type Api } from "../src/api/app.ts";
import { DEFAULT_API_SETTINGS, type ApiLogLine, type ApiSettings } from "../src/api/deps.ts";
import type { Database } from "../src/db/connect.ts";
import { runStatements } from "../src/db/host-slots.ts";
import { Fetcher } from "../src/fetch/fetcher.ts";
import { systemClock } from "../src/ports.ts";
import { ADMIN_ASSETS } from "./admin-assets.ts";
import { workerDatabase } from "./database.ts";
import type { Env } from "./env.ts";
import { WorkerJobQueue } from "./job-queue.ts";
import { HostGate } from "./politeness.ts";
import { R2BlobStore } from "./r2-blob-store.ts";
import { counted, currentRequest, type RequestScope } from "./request-scope.ts";
import type { WorkerSettings } from "./settings.ts";

/** A host busy with a crawl is waited for this long by a request (a checker test, a try-it) before it gives up. */
const REQUEST_HOST_WAIT_MS = 10_000;

export interface WorkerApp {
  app: Api;
  database: Database;
}

let built: { key: string; app: Promise<WorkerApp> } | undefined;

/** The isolate's app; made by its first request (a database that cannot be opened is tried again by the next). */
export function workerApp(env: Env, settings: WorkerSettings, token: string | undefined): Promise<WorkerApp> {
  const key = JSON.stringify([env.TURSO_DATABASE_URL, env.TURSO_AUTH_TOKEN, token, settings]);
  if (built?.key !== key) {
    const app = build(env, settings, token);
    built = { key, app };
    app.catch(() => {
      if (built?.app === app) built = undefined;
    });
  }
  return built.app;
}

async function build(env: Env, settings: WorkerSettings, token: string | undefined): Promise<WorkerApp> {
  const database = await workerDatabase(env);
  const fetcher = new Fetcher({ ...settings.fetch, attempts: 1, delayMs: 0 }, (input, init) => gateOf(currentRequest(), database, settings).fetchFn(input, init));
  const api: ApiSettings = { ...DEFAULT_API_SETTINGS, ...settings.api, timeZone: settings.timeZone, ...(token !== undefined ? { token } : {}) };
  const app = createApp({
    database,
    images: new R2BlobStore(env.IMAGES, (call) => counted("storage", call)),
    queue: new WorkerJobQueue(env.JOBS, database, systemClock, settings),
    clock: systemClock,
    fetcher,
    settings: api,
    adminAssets: ADMIN_ASSETS,
    log: (line) => console.log(JSON.stringify(withSpending(line))),
    // The vars parsed: a Worker whose vars are wrong does not get this far (`index.ts` answers health itself).
    extraChecks: { settings: async () => ({}) },
  });
  return { app, database };
}

/** The request's host gate, made on its first page fetch. */
function gateOf(scope: RequestScope | undefined, database: Database, settings: WorkerSettings): HostGate {
  if (scope === undefined) throw new Error("a page fetch outside of any request");
  scope.gate ??= new HostGate({
    database,
    budget: scope.budget,
    settings: settings.fetch,
    maxWaitMs: REQUEST_HOST_WAIT_MS,
    sleep: (ms) => scope.budget.waiting(() => new Promise<void>((resolve) => setTimeout(resolve, ms))),
  });
  return scope.gate;
}

/** The host lanes a request's fetches took are given back (the delay runs from then), with the budget's reserve. */
export async function releaseHosts(scope: RequestScope, database: Database): Promise<void> {
  const pending = scope.gate?.takePending() ?? [];
  if (pending.length === 0) return;
  scope.budget.close();
  try {
    await runStatements(database, pending);
  } catch (e) {
    // The lanes' leases run out by themselves.
    console.log(JSON.stringify({ time: new Date().toISOString(), level: "WARNING", msg: `host releases not written: ${e instanceof Error ? e.message : String(e)}` }));
  }
}

/** An access-log line with what the request spent so far (its subrequests by kind). */
function withSpending(line: ApiLogLine): ApiLogLine {
  const scope = currentRequest();
  if (scope === undefined || line.msg !== "request") return line;
  const { budget } = scope;
  return { ...line, subrequests: budget.used, counts: { ...budget.counts }, ...(scope.refused ? { over_budget: scope.refused } : {}) };
}
