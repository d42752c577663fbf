/**
 * The API as the binary serves it, for tests: a real `Bun.serve` on 127.0.0.1 (random port) serving `createApp`
 * over a real temp database, a temp image folder and the binary's job queue (running jobs with the real runner),
 * with a clock the test moves, the access-log lines kept, and hono's typed client.
 */
import { hc } from "hono/client";
import { join } from "node:path";
import { ADMIN_ASSETS } from "../../cli/admin-assets.ts";
import { FsBlobStore } from "../../cli/fs-blob-store.ts";
import { loadPhoton } from "../../cli/photon.ts";
import { LocalQueue } from "../../cli/local-queue.ts";
import { createApp, type Api } from "../../src/api/app.ts";
import { DEFAULT_API_SETTINGS, type ApiDeps, type ApiLogLine, type ApiSettings } from "../../src/api/deps.ts";
import type { Database } from "../../src/db/connect.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { parseImageSettings, type ImageSettingsInput } from "../../src/images/settings.ts";
import { runQueuedJob, type RunnerDeps } from "../../src/jobs/runner.ts";
import type { LogRecord } from "../../src/jobs/log.ts";
import type { Clock } from "../../src/ports.ts";
import { TEST_FETCH } from "./crawl.ts";
import { tempDatabase, tempDir } from "./temp.ts";

export const TEST_TOKEN = "test-token-0123456789";

/** Time that moves only when the test says so. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(at: Date): void;
}

export function manualClock(start = Date.UTC(2025, 0, 1)): ManualClock {
  let now = start;
  return { now: () => new Date(now), advance: (ms) => (now += ms), set: (at) => (now = at.getTime()) };
}

export interface ApiServer {
  url: string;
  database: Database;
  imagesDir: string;
  images: FsBlobStore;
  queue: LocalQueue;
  clock: ManualClock;
  /** Access-log and error lines, in order. */
  lines: ApiLogLine[];
  /** Job log records of jobs the queue ran. */
  jobLogs: LogRecord[];
  token: string | undefined;
  /** `fetch` on the server, with the token unless `init.headers` says otherwise. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Sends `body` as JSON. */
  send(method: string, path: string, body: unknown): Promise<Response>;
  client: ReturnType<typeof hc<Api>>;
  close(): Promise<void>;
}

export interface ApiOptions {
  /** null: no token configured (the API is open). Default {@link TEST_TOKEN}. */
  token?: string | null;
  settings?: Partial<Omit<ApiSettings, "token">>;
  database?: Database;
  deps?: Partial<ApiDeps>;
  /** For the jobs the queue runs (a faster heartbeat, a webhook…). */
  runner?: Partial<RunnerDeps>;
  /** Crawls the queue runs store their items' images with these settings (as `serve` does); default: no images. */
  images?: ImageSettingsInput;
}

export async function startApi(options: ApiOptions = {}): Promise<ApiServer> {
  const database = options.database ?? (await tempDatabase());
  const imagesDir = join(tempDir(), "images");
  const images = new FsBlobStore(imagesDir);
  const clock = manualClock();
  const lines: ApiLogLine[] = [];
  const jobLogs: LogRecord[] = [];
  const fetcher = new Fetcher(TEST_FETCH);
  const runner = {
    database,
    fetcher,
    clock: { now: () => new Date() },
    env: { timeZone: "UTC", now: () => new Date() },
    log: { level: "DEBUG" as const, limit: 1000, sink: (r: LogRecord) => jobLogs.push(r) },
    conditionalRequests: true,
    store: images,
    ...(options.images ? { images: { store: images, settings: parseImageSettings(options.images), photon: loadPhoton } } : {}),
    ...options.runner,
  };
  const queue = new LocalQueue(2, async (id, signal) => void (await runQueuedJob(runner, id, signal)), database, runner.clock, () => {});
  const token = options.token === null ? undefined : (options.token ?? TEST_TOKEN);
  const settings: ApiSettings = { ...DEFAULT_API_SETTINGS, ...options.settings, ...(token !== undefined ? { token } : {}) };
  const app = createApp({ database, images, queue, clock, fetcher, settings, adminAssets: ADMIN_ASSETS, log: (line) => lines.push(line), ...options.deps });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request, srv) => app.fetch(request, { ip: srv.requestIP(request)?.address }) });
  const url = `http://127.0.0.1:${server.port}`;
  const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const call = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { ...auth, ...Object.fromEntries(new Headers(init.headers)) } });
  return {
    url,
    database,
    imagesDir,
    images,
    queue,
    clock,
    lines,
    jobLogs,
    token,
    fetch: call,
    send: (method, path, body) => call(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    client: hc<Api>(url, { headers: auth }),
    close: async () => {
      await queue.stop(new Error("test over"));
      await server.stop(true);
    },
  };
}

/** The error body every failure answers with. */
export interface ErrorJson {
  error: { code: string; message: string; issues: { path: string; message: string }[] };
}

export async function errorOf(response: Response): Promise<ErrorJson["error"]> {
  const body = (await response.json()) as ErrorJson;
  return body.error;
}
