/**
 * The job lifecycle's transitions, the same for crawls and checks: what create, claim, heartbeat, finish, cancel
 * and expire do from each status, and that a run holding an older attempt can neither renew nor finish.
 */
import { describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/connect.ts";
import { claimJob, finishJob, insertJob, jobById, renewLease, type JobRow, type NewJob } from "../../src/db/jobs.ts";
import { ConflictError } from "../../src/errors.ts";
import { cancelJob, expireDeadJobs, LEASE_MS, queueJob } from "../../src/jobs/lifecycle.ts";
import type { JobKind, JobStatus } from "../../src/model/enums.ts";
import { tempDatabase } from "../support/temp.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");
const at = (ms: number) => new Date(T0 + ms);

async function world(): Promise<Database> {
  const database = await tempDatabase();
  await database.client.batch(
    [
      `INSERT INTO classes (id, name, definition, created_at, updated_at) VALUES (1, 'C', '{}', 0, 0)`,
      `INSERT INTO scrapers (id, name, class_id, status, definition, created_at, updated_at) VALUES (1, 's', 1, 'ACTIVE', '{}', 0, 0)`,
      `INSERT INTO sources (id, name, scraper_id, url, urls, active, created_at, updated_at) VALUES (1, 'src', 1, 'http://x.test/', '[]', 1, 0, 0)`,
      `INSERT INTO items (id, class_id, source_id, unique_key, url, data, created_at, updated_at) VALUES (1, 1, 1, 'k', NULL, '{}', 0, 0)`,
    ],
    "write",
  );
  return database;
}

const jobOf = (kind: JobKind): NewJob => (kind === "crawl" ? { kind, source_id: 1 } : { kind, item_id: 1 });

/** A job of `kind` brought to `status` at T0 (its lease last renewed then). */
async function jobIn(database: Database, kind: JobKind, status: JobStatus): Promise<JobRow> {
  const job = await insertJob(database, jobOf(kind), at(0));
  if (status === "queued") return job;
  if (status === "cancelled") return (await cancelJob(database, job.id, at(0)))!;
  const running = (await claimJob(database, job.id, at(0)))!;
  if (status === "running") return running;
  return (await finishJob(database, { id: job.id, attempt: running.attempt }, status, {}, null, at(0)))!;
}

type Op = "create" | "claim" | "heartbeat" | "finish" | "cancel" | "expire";

/** What the operation did, in a word, and the status after it. */
async function apply(database: Database, kind: JobKind, job: JobRow, op: Op): Promise<string> {
  const lease = { id: job.id, attempt: job.attempt };
  switch (op) {
    case "create":
      return queueJob(database, jobOf(kind), at(1)).then(
        () => "created",
        (e: unknown) => (e instanceof ConflictError ? "refused" : Promise.reject(e)),
      );
    case "claim":
      return (await claimJob(database, job.id, at(1))) ? "claimed" : "refused";
    case "heartbeat":
      return (await renewLease(database, lease, at(1))) ? "renewed" : "refused";
    case "finish":
      return (await finishJob(database, lease, "succeeded", {}, null, at(1))) ? "finished" : "refused";
    case "cancel":
      return (await cancelJob(database, job.id, at(1))) ? "cancelled" : "refused";
    case "expire":
      return `${await expireDeadJobs(database, at(LEASE_MS + 1))} expired`;
  }
}

const STATUSES: JobStatus[] = ["queued", "running", "succeeded", "failed", "cancelled"];
const OPS: Op[] = ["create", "claim", "heartbeat", "finish", "cancel", "expire"];

/** From each status (rows), each operation (columns): what it did → the status after it. */
const TABLE: Record<JobStatus, Record<Op, string>> = {
  queued: { create: "refused → queued", claim: "claimed → running", heartbeat: "refused → queued", finish: "refused → queued", cancel: "cancelled → cancelled", expire: "1 expired → failed" },
  running: { create: "refused → running", claim: "refused → running", heartbeat: "renewed → running", finish: "finished → succeeded", cancel: "cancelled → cancelled", expire: "1 expired → failed" },
  succeeded: { create: "created → succeeded", claim: "refused → succeeded", heartbeat: "refused → succeeded", finish: "refused → succeeded", cancel: "refused → succeeded", expire: "0 expired → succeeded" },
  failed: { create: "created → failed", claim: "refused → failed", heartbeat: "refused → failed", finish: "refused → failed", cancel: "refused → failed", expire: "0 expired → failed" },
  cancelled: { create: "created → cancelled", claim: "refused → cancelled", heartbeat: "refused → cancelled", finish: "refused → cancelled", cancel: "refused → cancelled", expire: "0 expired → cancelled" },
};

describe.each(["crawl", "check"] as const)("the %s job lifecycle", (kind) => {
  test.each(STATUSES)("from %s", async (status) => {
    const results: Record<string, string> = {};
    for (const op of OPS) {
      const database = await world();
      const job = await jobIn(database, kind, status);
      const did = await apply(database, kind, job, op);
      results[op] = `${did} → ${(await jobById(database, job.id))!.status}`;
    }
    expect(results).toEqual(TABLE[status]);
  });

  test("each claim is a new attempt; a run holding an older attempt can neither renew nor finish", async () => {
    const database = await world();
    const job = await insertJob(database, jobOf(kind), at(0));
    expect(job.attempt).toBe(0);
    const first = (await claimJob(database, job.id, at(0)))!;
    expect(first.attempt).toBe(1);
    // As a Worker would re-queue a job whose run went silent: the next claim takes it over.
    await database.client.execute({ sql: "UPDATE jobs SET status = 'queued' WHERE id = ?", args: [job.id] });
    const second = (await claimJob(database, job.id, at(1)))!;
    expect(second.attempt).toBe(2);
    const stale = { id: job.id, attempt: first.attempt };
    expect(await renewLease(database, stale, at(2))).toBe(false);
    expect(await finishJob(database, stale, "failed", {}, "late", at(2))).toBeUndefined();
    expect(await jobById(database, job.id)).toMatchObject({ status: "running", attempt: 2, error: null });
    expect(await finishJob(database, { id: job.id, attempt: 2 }, "succeeded", {}, null, at(3))).toMatchObject({ status: "succeeded" });
  });

  test("a lease renewed within LEASE_MS is alive; one older is dead", async () => {
    const database = await world();
    const job = await jobIn(database, kind, "running");
    expect(await expireDeadJobs(database, at(LEASE_MS))).toBe(0);
    expect(await renewLease(database, { id: job.id, attempt: job.attempt }, at(LEASE_MS))).toBe(true);
    expect(await expireDeadJobs(database, at(2 * LEASE_MS))).toBe(0);
    expect(await expireDeadJobs(database, at(2 * LEASE_MS + 1))).toBe(1);
    expect(await jobById(database, job.id)).toMatchObject({ status: "failed", error: expect.stringContaining("lease expired") });
  });
});
