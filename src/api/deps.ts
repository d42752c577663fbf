/**
 * @module
 * What the API needs from its platform, handed to `createApp` by each shell (`cli/` for the binary, `worker/` for
 * the Worker): the ports, the settings, and where access-log lines go. Nothing in src/api/ knows which platform
 * it runs on; the only per-request input from the platform is the client's address (`ApiBindings`).
 */
import type { Database } from "../db/connect.ts";
import type { Fetcher } from "../fetch/fetcher.ts";
import type { BlobStore, Clock, JobQueue } from "../ports.ts";
import type { AdminAssets } from "./admin/env.ts";
import type { HealthChecks } from "./health.ts";
import type { PageCache } from "./lists.ts";

export interface ApiSettings {
  /** `DSCRAPER_API_TOKEN`; undefined: the API is open (the binary then binds loopback only, `serve`'s business). */
  token?: string;
  /** Requests per second per token (per client address without one); 0 turns the limit off. */
  rateLimit: number;
  /** Requests a client may make at once before the rate applies. */
  burst: number;
  /** Largest request body, in bytes (413 beyond). */
  bodyLimit: number;
  /** Time zone of the date processors in the admin's "try it" (`DSCRAPER_TZ`); default UTC. */
  timeZone?: string;
}

export const DEFAULT_API_SETTINGS: Readonly<Omit<ApiSettings, "token">> = Object.freeze({
  rateLimit: 100,
  burst: 200,
  bodyLimit: 10 * 1024 * 1024,
});

/** One structured log line (the same fields as the job log's: time, level, msg, then the line's own). */
export type ApiLogLine = { time: string; level: "INFO" | "WARNING" | "ERROR"; msg: string } & Record<string, unknown>;

export interface ApiDeps {
  database: Database;
  /** Image files: deleting an item deletes its files; health writes, reads and deletes a probe object. */
  images: BlobStore;
  /** Where queued jobs go; health asks it whether it takes work (`JobQueue.check`). */
  queue: JobQueue;
  /** Time for the rate limit, durations in the access log, and "last 24 h" in the stats. */
  clock: Clock;
  /** For checker tests: the process's fetcher, so that per-host politeness holds across everything it fetches. */
  fetcher: Pick<Fetcher, "fetch">;
  settings: ApiSettings;
  /** The admin page's stylesheet and script: each platform reads the files its own way (cli/admin-assets.ts). */
  adminAssets: AdminAssets;
  /** Access-log lines (one per request) and internal errors. */
  log(line: ApiLogLine): void;
  /** More parts for `GET /api/health` beside database, images and queue (the Worker's vars, say). */
  extraChecks?: Readonly<Record<string, () => Promise<Record<string, unknown>>>>;
}

/** What the platform passes with each request: `app.fetch(request, { ip })`. */
export interface ApiBindings {
  /** The client's address, for the rate limit of requests without a token. */
  ip?: string;
}

export interface ApiVariables {
  deps: ApiDeps;
  /** Set by hono's request-id middleware; echoed as `X-Request-Id`. */
  requestId: string;
  /** Whether the request carries the configured token (always true when none is configured). */
  authorized: boolean;
  /** Rendered list pages of this app, validated by the data versions. */
  pages: PageCache;
  /** This app's last health check, served for a second. */
  health: HealthChecks;
}

export interface ApiEnv {
  Bindings: ApiBindings;
  Variables: ApiVariables;
}
