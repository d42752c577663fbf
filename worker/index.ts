/**
 * @module
 * The Worker's entry. So far: `fetch` answers `GET /api/health` (the shared Hono app of the API replaces this
 * routing once it exists), and `scheduled` reports the cron it was woken by. There is no `queue` handler yet: the
 * queue driver over the core's page step comes after the core's crawl is reshaped, and until then nothing sends
 * to the queue.
 */
import type { ExecutionContext, ScheduledController } from "@cloudflare/workers-types";
import type { Env } from "./env.ts";
import { workerDatabase } from "./database.ts";
import { health } from "./health.ts";
import { R2BlobStore } from "./r2-blob-store.ts";

/** One structured log line (Workers Logs keeps them as JSON). */
function log(level: "INFO" | "WARNING" | "ERROR", msg: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}

export default {
  async fetch(request: Request, env: Env, _ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/api/health") {
      if (request.method !== "GET" && request.method !== "HEAD") return error(405, "method_not_allowed", `${request.method} is not allowed on /api/health (use GET)`);
      return health({ vars: env, database: () => workerDatabase(env), images: new R2BlobStore(env.IMAGES), jobs: env.JOBS });
    }
    return error(404, "not_found", `no route ${url.pathname}: this Worker serves only GET /api/health so far (the API is not part of it yet)`);
  },

  async scheduled(controller: ScheduledController, _env: Env, _ctx: ExecutionContext): Promise<void> {
    // The due selection and the daily checks are not wired yet; saying so is all this handler does.
    log("WARNING", "cron trigger received; the Worker's scheduler is not built yet, nothing was enqueued", {
      cron: controller.cron,
      scheduled_time: new Date(controller.scheduledTime).toISOString(),
    });
  },
};

function error(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
