/**
 * @module
 * The Worker's entry: the three handlers, thin.
 * - `fetch`: the shared app (`app.ts`: the API, its docs, the admin page), each request inside a budget of its
 *   own (`request-scope.ts`). Without `DSCRAPER_API_TOKEN` the Worker serves neither the API nor the admin page
 *   (503, saying how to set it): only `GET /api/health`. With `DSCRAPER_TEST_HOOKS` set, the test-only routes of
 *   `test-hooks.ts` too.
 * - `scheduled`: the scheduler pass every minute, the daily round (`scheduled.ts`).
 * - `queue`: the jobs queue's and the dead-letter queue's consumer (`queue/consumer.ts`).
 */
import type { ExecutionContext, MessageBatch, ScheduledController } from "@cloudflare/workers-types";
import { errorMessage } from "../src/errors.ts";
import { releaseHosts, workerApp } from "./app.ts";
import { workerDatabase } from "./database.ts";
import type { Env } from "./env.ts";
import { health } from "./health.ts";
import { consume } from "./queue/consumer.ts";
import { R2BlobStore } from "./r2-blob-store.ts";
import { counted, inRequest, requestBudget, type RequestScope } from "./request-scope.ts";
import { scheduled } from "./scheduled.ts";
import { workerSettings, DEFAULT_SUBREQUEST_BUDGET, type WorkerSettings } from "./settings.ts";
import { testHook } from "./test-hooks.ts";

export default {
  async fetch(request: Request, env: Env, _ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__test/")) {
      const hooked = await testHook(request, env);
      if (hooked) return hooked;
    }
    const isHealth = url.pathname === "/api/health";
    const token = typeof env.DSCRAPER_API_TOKEN === "string" && env.DSCRAPER_API_TOKEN.trim() !== "" ? env.DSCRAPER_API_TOKEN.trim() : undefined;
    let settings: WorkerSettings | undefined;
    try {
      settings = workerSettings(env);
    } catch {
      // Health names the bad vars; everything else says where to look.
    }
    const scope: RequestScope = { budget: requestBudget(settings?.subrequestBudget ?? DEFAULT_SUBREQUEST_BUDGET) };
    return inRequest(scope, async () => {
      if (token === undefined || settings === undefined) {
        if (isHealth) return logged(request, scope, await healthWithoutApp(request, env));
        if (token === undefined) return logged(request, scope, unavailable(url.pathname, NO_TOKEN));
        return logged(request, scope, unavailable(url.pathname, "the Worker's vars are not valid: GET /api/health names the ones to fix (wrangler.toml [vars])"));
      }
      let served;
      try {
        served = await workerApp(env, settings, token);
      } catch (e) {
        // The database could not be opened: health says so with the other parts; the rest cannot be served.
        if (isHealth) return logged(request, scope, await healthWithoutApp(request, env));
        return logged(request, scope, unavailable(url.pathname, errorMessage(e)));
      }
      try {
        return await served.app.fetch(request, { ip: request.headers.get("cf-connecting-ip") ?? undefined });
      } finally {
        await releaseHosts(scope, served.database);
      }
    });
  },

  async scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
    await scheduled(controller, env, workerSettings(env));
  },

  async queue(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
    await consume(batch, env, workerSettings(env));
  },
};

const NO_TOKEN =
  "this Worker serves no API and no admin page until its token is set: run `npx wrangler secret put DSCRAPER_API_TOKEN` " +
  "(for `wrangler dev`, put DSCRAPER_API_TOKEN=… in .dev.vars); only GET /api/health answers without it";

/** The access line of an answer the app did not give (the app writes its own), in the same shape. */
function logged(request: Request, scope: RequestScope, response: Response): Response {
  const { budget } = scope;
  const line = {
    time: new Date().toISOString(),
    level: response.status >= 500 ? "ERROR" : "INFO",
    msg: "request",
    method: request.method,
    path: new URL(request.url).pathname,
    status: response.status,
    subrequests: budget.used,
    counts: { ...budget.counts },
  };
  console.log(JSON.stringify(line));
  return response;
}

/** `GET /api/health` when the app cannot be made (no token, bad vars, a database that cannot be opened). */
function healthWithoutApp(request: Request, env: Env): Promise<Response> | Response {
  if (request.method !== "GET" && request.method !== "HEAD") return unavailable("/api/health", `${request.method} is not allowed on /api/health (use GET)`, 405);
  return health({ vars: env, database: () => workerDatabase(env), images: new R2BlobStore(env.IMAGES, (call) => counted("storage", call)), jobs: env.JOBS });
}

/** An error in the API's shape; the admin's paths get it as a small page. */
function unavailable(path: string, message: string, status = 503): Response {
  const code = status === 405 ? "method_not_allowed" : "unavailable";
  if (path.startsWith("/api/")) return Response.json({ error: { code, message, issues: [] } }, { status, headers: { "cache-control": "no-store" } });
  const text = message.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dscraper: not available</title></head><body><h1>Not available</h1><p>${text}</p></body></html>`;
  return new Response(page, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": "default-src 'none'", "x-content-type-options": "nosniff" },
  });
}
