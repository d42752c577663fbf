/**
 * @module
 * What the Worker gets from its platform: the bindings, vars and secrets declared in wrangler.toml.
 */
import type { Queue, R2Bucket } from "@cloudflare/workers-types";

export interface Env {
  /** Images and thumbnails. */
  IMAGES: R2Bucket;
  /** Crawl work: one message per queued job, then one per page of a crawl (worker/queue/messages.ts). */
  JOBS: Queue<unknown>;
  /** `libsql://…` (Turso) or `https://…`; the tests give the Hrana test server's `http://127.0.0.1:…`. */
  TURSO_DATABASE_URL?: string;
  /** Secret. */
  TURSO_AUTH_TOKEN?: string;
  /** Secret: the API's bearer token. */
  DSCRAPER_API_TOKEN?: string;
  /** Every other var is a `DSCRAPER_*` setting, read by worker/settings.ts. */
  [name: string]: unknown;
}
