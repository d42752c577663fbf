/**
 * @module
 * A test-only Worker serving the shared app (API + admin page) under `wrangler dev`, built the way the real
 * Worker will build it once it serves the app: its Database over libSQL HTTP, R2 for images, the admin assets
 * through wrangler's Text rule. The real Worker's queue is not wired here: this Worker's queue refuses work, saying
 * so, and its health check reports that.
 */
import type { R2Bucket } from "@cloudflare/workers-types";
import { createApp } from "../../../src/api/app.ts";
import { DEFAULT_API_SETTINGS } from "../../../src/api/deps.ts";
import { DEFAULT_FETCH_SETTINGS, Fetcher } from "../../../src/fetch/fetcher.ts";
import { systemClock, type JobQueue } from "../../../src/ports.ts";
import { ADMIN_ASSETS } from "../../../worker/admin-assets.ts";
import { workerDatabase } from "../../../worker/database.ts";
import { R2BlobStore } from "../../../worker/r2-blob-store.ts";

interface Env {
  IMAGES: R2Bucket;
  TURSO_DATABASE_URL?: string;
  DSCRAPER_API_TOKEN?: string;
}

const NO_QUEUE: JobQueue = {
  enqueue: () => Promise.reject(new Error("this test Worker has no job queue: it serves the admin page only")),
  check: () => Promise.reject(new Error("this test Worker has no job queue")),
};

let app: ReturnType<typeof createApp> | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (!env.DSCRAPER_API_TOKEN) return Response.json({ error: { code: "unavailable", message: "DSCRAPER_API_TOKEN is not set" } }, { status: 503 });
    app ??= createApp({
      database: await workerDatabase(env),
      images: new R2BlobStore(env.IMAGES),
      queue: NO_QUEUE,
      clock: systemClock,
      fetcher: new Fetcher(DEFAULT_FETCH_SETTINGS),
      settings: { ...DEFAULT_API_SETTINGS, token: env.DSCRAPER_API_TOKEN },
      adminAssets: ADMIN_ASSETS,
      log: (line) => console.log(JSON.stringify(line)),
    });
    return app.fetch(request, { ip: request.headers.get("cf-connecting-ip") ?? undefined });
  },
};
