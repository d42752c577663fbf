/**
 * @module
 * The Worker's entry: the three handlers, thin.
 * - `fetch`: `GET /api/health` for now (the shared Hono app of the API replaces this routing once it exists);
 *   with `DSCRAPER_TEST_HOOKS` set, the test-only routes of `test-hooks.ts` too.
 * - `scheduled`: the scheduler pass every minute, the daily round (`scheduled.ts`).
 * - `queue`: the jobs queue's and the dead-letter queue's consumer (`queue/consumer.ts`).
 */
import type { ExecutionContext, MessageBatch, ScheduledController } from "@cloudflare/workers-types";
import type { Env } from "./env.ts";
import { workerDatabase } from "./database.ts";
import { health } from "./health.ts";
import { consume } from "./queue/consumer.ts";
import { R2BlobStore } from "./r2-blob-store.ts";
import { scheduled } from "./scheduled.ts";
import { workerSettings } from "./settings.ts";
import { testHook } from "./test-hooks.ts";

export default {
  async fetch(request: Request, env: Env, _ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/api/health") {
      if (request.method !== "GET" && request.method !== "HEAD") return error(405, "method_not_allowed", `${request.method} is not allowed on /api/health (use GET)`);
      return health({ vars: env, database: () => workerDatabase(env), images: new R2BlobStore(env.IMAGES), jobs: env.JOBS });
    }
    if (url.pathname.startsWith("/__test/")) {
      const hooked = await testHook(request, env);
      if (hooked) return hooked;
    }
    return error(404, "not_found", `no route ${url.pathname}: this Worker serves only GET /api/health so far (the API is not part of it yet)`);
  },

  async scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
    await scheduled(controller, env, workerSettings(env));
  },

  async queue(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
    await consume(batch, env, workerSettings(env));
  },
};

function error(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
