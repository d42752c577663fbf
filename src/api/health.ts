/**
 * @module
 * The health check of both shells (`GET /api/health`): the database answers with the schema this build expects,
 * the image store takes a probe object (written, read back, deleted), the queue takes work; each checked for real
 * on every call of `healthReport`, concurrently. The Worker adds its own parts (its vars) through `extra`. The
 * route answers from {@link HealthChecks}: one real check serves every request of the second that follows it.
 */
import type { Database } from "../db/connect.ts";
import { databaseHealth } from "../db/health.ts";
import type { BlobStore, Clock, JobQueue } from "../ports.ts";

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

/**
 * How long a health check's answer is served again. A real check writes, reads back and deletes a file and
 * queries the database: under load (bench/api) that capped `/api/health` at a few thousand requests/s and made
 * each poll cost the same image-store work. A part that fails shows within this window (`checked_at` says when
 * the answer was checked).
 */
export const HEALTH_TTL_MS = 1000;

/** A health answer: the report, when it was checked, and its status code. */
export interface HealthAnswer {
  status: 200 | 503;
  /** The report with `checked_at`, as JSON. */
  body: string;
}

/** The last health check's answer, served for {@link HEALTH_TTL_MS}; requests that come during a check share it. */
export class HealthChecks {
  private last: { at: number; answer: HealthAnswer } | undefined;
  private running: Promise<HealthAnswer> | undefined;

  constructor(
    private readonly check: () => Promise<HealthReport>,
    private readonly clock: Clock,
    private readonly ttlMs = HEALTH_TTL_MS,
  ) {}

  answer(): Promise<HealthAnswer> {
    const now = this.clock.now().getTime();
    const last = this.last;
    if (last && now >= last.at && now - last.at < this.ttlMs) return Promise.resolve(last.answer);
    this.running ??= this.run(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(at: number): Promise<HealthAnswer> {
    const report = await this.check();
    const answer: HealthAnswer = { status: report.status === "ok" ? 200 : 503, body: JSON.stringify({ ...report, checked_at: new Date(at).toISOString() }) };
    this.last = { at, answer };
    return answer;
  }
}
