/**
 * @module
 * `GET /api/health`: each part the Worker depends on, checked for real on every call (a query to the database, a
 * write, read and delete of a probe object in R2, the vars parsed), and 503 naming the parts that fail.
 */
import { databaseHealth } from "../src/db/health.ts";
import type { Database } from "../src/db/connect.ts";
import type { BlobStore } from "../src/ports.ts";
import { workerSettings } from "./settings.ts";

export type Check = { ok: true; [detail: string]: unknown } | { ok: false; error: string };

export interface HealthParts {
  vars: Readonly<Record<string, unknown>>;
  database: () => Promise<Database>;
  images: BlobStore;
}

export async function health(parts: HealthParts): Promise<Response> {
  const [settings, database, images] = await Promise.all([
    check(async () => {
      workerSettings(parts.vars);
      return {};
    }),
    check(async () => {
      const { migrations, expected } = await databaseHealth((await parts.database()).client);
      if (migrations < expected) throw new Error(`the database has ${migrations} of this build's ${expected} migrations`);
      return { migrations };
    }),
    check(() => probeImages(parts.images)),
  ]);
  const checks = { settings, database, images };
  const failing = Object.entries(checks).flatMap(([name, c]) => (c.ok ? [] : [name]));
  return Response.json(
    failing.length === 0 ? { status: "ok", checks } : { status: "unavailable", failing, checks },
    { status: failing.length === 0 ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}

async function check(run: () => Promise<Record<string, unknown>>): Promise<Check> {
  try {
    return { ok: true, ...(await run()) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** A probe object of its own per call, so that concurrent checks do not read each other's. */
async function probeImages(store: BlobStore): Promise<Record<string, unknown>> {
  const key = `health/probe-${crypto.randomUUID()}`;
  const data = crypto.getRandomValues(new Uint8Array(16));
  await store.put(key, data, "application/octet-stream");
  try {
    const back = await store.get(key);
    if (back === undefined || back.length !== data.length || back.some((b, i) => b !== data[i])) throw new Error("the probe object read back differs from the one written");
  } finally {
    await store.delete(key);
  }
  return {};
}
