/**
 * @module
 * The health check of both shells (`GET /api/health`): the database answers with the schema this build expects,
 * the image store takes a probe object (written, read back, deleted), the queue takes work; each checked for real
 * on every call, concurrently. The Worker adds its own parts (its vars) through `extra`.
 */
import type { Database } from "../db/connect.ts";
import { databaseHealth } from "../db/health.ts";
import type { BlobStore, JobQueue } from "../ports.ts";

export type Check = { ok: true; [detail: string]: unknown } | { ok: false; message: string };

export interface HealthReport {
  status: "ok" | "degraded";
  /** The parts that failed, by name (absent when all pass). */
  failing?: string[];
  checks: Record<string, Check>;
}

export interface HealthParts {
  /** A getter: in the Worker, opening the database is itself what may fail. */
  database: () => Promise<Database>;
  images: BlobStore;
  /** Undefined: no queue is configured (a failing part). */
  queue: Pick<JobQueue, "check"> | undefined;
  extra?: Readonly<Record<string, () => Promise<Record<string, unknown>>>>;
}

export async function healthReport(parts: HealthParts): Promise<HealthReport> {
  const probes: Record<string, () => Promise<Record<string, unknown>>> = {
    ...parts.extra,
    database: async () => {
      const { migrations, expected } = await databaseHealth((await parts.database()).client);
      if (migrations < expected) throw new Error(`the database has ${migrations} of this build's ${expected} migrations`);
      return { migrations };
    },
    images: () => probeImages(parts.images),
    queue: async () => {
      if (!parts.queue) throw new Error("no job queue is configured");
      return parts.queue.check ? parts.queue.check() : { probed: false };
    },
  };
  const names = Object.keys(probes);
  const results = await Promise.all(names.map((name) => check(probes[name]!)));
  const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
  const failing = names.filter((_, i) => !results[i]!.ok);
  return failing.length === 0 ? { status: "ok", checks } : { status: "degraded", failing, checks };
}

async function check(run: () => Promise<Record<string, unknown>>): Promise<Check> {
  try {
    return { ...(await run()), ok: true };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
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
