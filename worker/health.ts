/**
 * @module
 * `GET /api/health` when the Worker cannot make its app (no DSCRAPER_API_TOKEN, vars that are not valid, a database
 * that cannot be opened or lacks migrations): the core's one health check (src/api/health.ts: the database, a probe
 * object in R2, the queue) plus the Worker's own part, its vars parsed, so that it names what to fix. Opening the
 * database is itself checked. Once the app exists, its own health route answers, with the same parts.
 */
import type { Queue } from "@cloudflare/workers-types";
import { healthReport } from "../src/api/health.ts";
import type { Database } from "../src/db/connect.ts";
import type { BlobStore } from "../src/ports.ts";
import { workerSettings } from "./settings.ts";

export interface HealthParts {
  vars: Readonly<Record<string, unknown>>;
  database: () => Promise<Database>;
  images: BlobStore;
  jobs: Queue<unknown> | undefined;
}

export async function health(parts: HealthParts): Promise<Response> {
  const report = await healthReport({
    database: parts.database,
    images: parts.images,
    // A Cloudflare Queue cannot be probed without sending a message: its binding is what can be checked.
    queue: parts.jobs && { check: async () => ({ probed: false }) },
    extra: {
      settings: async () => {
        workerSettings(parts.vars);
        return {};
      },
    },
  });
  return Response.json(report, { status: report.status === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
}
