/**
 * Leases held and lost by real runs against a real site and database, time driven by a simulated clock and sleep:
 * a check that waits on a slow page past the lease keeps its job (renewing it) and is never doubled by the
 * scheduler; a run whose lease was taken (declared dead, or cancelled by a user) stops and never writes its final
 * status over the one it was given.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/connect.ts";
import { ConflictError } from "../../src/errors.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { runCheckJob } from "../../src/jobs/check-job.ts";
import { runCrawlJob } from "../../src/jobs/crawl-job.ts";
import { storedDefinitions } from "../../src/jobs/definitions.ts";
import { cancelJob, expireDeadJobs, HEARTBEAT_MS, LEASE_MS } from "../../src/jobs/lifecycle.ts";
import { runQueuedJob, type RunnerDeps } from "../../src/jobs/runner.ts";
import { tick } from "../../src/jobs/tick.ts";
import { checkJobStats, checkJobStatsSchema, crawlJobStats } from "../../src/model/job-stats.ts";
import type { LogRecord } from "../../src/jobs/log.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { importBundle } from "../../src/bundle/import.ts";
import { TEST_FETCH } from "../support/crawl.ts";
import { html, startSite } from "../support/site.ts";
import { tempDatabase } from "../support/temp.ts";
import { testTime, until, type TestTime } from "../support/time.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");

/** Pages that answer only when the test opens their gate. */
function gated() {
  const gates = new Map<string, () => void>();
  const opened = new Set<string>();
  const site = startSite({});
  const gate = (path: string, body: string, headers: Record<string, string> = {}) =>
    site.set(path, async () => {
      if (!opened.has(path)) await new Promise<void>((resolve) => gates.set(path, resolve));
      return new Response(body, { headers: { "content-type": "text/html", ...headers } });
    });
  const open = (path: string) => {
    opened.add(path);
    gates.get(path)?.();
  };
  return { site, gate, open };
}

const web = gated();
afterAll(async () => {
  for (const path of ["/slow-item", "/slow-list", "/cancelled-list", "/stalled-list", "/lost-first"]) web.open(path);
  await web.site.close();
});

function bundle(listPath: string) {
  return {
    classes: [{ name: "P", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S", id_field: true }, { name: "url", attr_type: "U" }] }],
    scrapers: [
      {
        name: "p",
        class: "P",
        status: "ACTIVE",
        page_types: [{ page_type: "MP" }],
        elems: [
          { attr: "base", x_path: "//div[@class='p']" },
          { attr: "title", x_path: "h2/text()" },
          { attr: "url", x_path: "a/@href" },
        ],
        checkers: [{ attr: "url", checker_type: "404" }],
      },
    ],
    // Inactive: only the item's checker runtime is ever due, never the source's crawl.
    sources: [{ name: "p", url: `${web.site.url}${listPath}`, scraper: "p", active: false }],
  } as const;
}

async function setup(listPath: string, time: TestTime): Promise<{ database: Database; deps: RunnerDeps }> {
  const database = await tempDatabase();
  await importBundle(database, bundle(listPath), time.clock);
  const deps: RunnerDeps = {
    database,
    // The gate holds answers for as long as the test needs; the fetcher must not give up on them meanwhile.
    fetcher: new Fetcher({ ...TEST_FETCH, timeoutMs: 600_000 }),
    clock: time.clock,
    sleep: time.sleep,
    env: { timeZone: "UTC", now: () => time.clock.now() },
    log: { level: "ERROR", limit: 100, sink: () => {} },
    conditionalRequests: false,
  };
  return { database, deps };
}

const jobRow = async (database: Database, id: number) => (await database.client.execute({ sql: "SELECT status, error, stats, heartbeat_at, attempt FROM jobs WHERE id = ?", args: [id] })).rows[0]!;

/** Moves time on by one heartbeat; once the run sleeps again, its lease must have been renewed at the new time. */
async function heartbeat(time: TestTime, database: Database, jobId: number): Promise<void> {
  await until(() => time.sleeping > 0);
  time.advance(HEARTBEAT_MS);
  await until(() => time.sleeping > 0);
  expect(Number((await jobRow(database, jobId)).heartbeat_at)).toBe(time.clock.now().getTime());
}

describe("a run that holds its lease", () => {
  test("a check held past the lease is neither expired nor doubled", async () => {
    const time = testTime(T0);
    const { database, deps } = await setup("/unused", time);
    web.gate("/slow-item", html("still here"));
    await database.client.batch(
      [
        { sql: "INSERT INTO items (class_id, source_id, unique_key, url, data, created_at, updated_at) VALUES (1, 1, 'k', ?, ?, 0, 0)", args: [`${web.site.url}/slow-item`, JSON.stringify({ title: "T", url: `${web.site.url}/slow-item` })] },
        { sql: "INSERT INTO scheduler_runtimes (runtime_type, item_id, runnable, next_action_time) VALUES ('C', 1, 1, ?)", args: [T0] },
      ],
      "write",
    );
    const queued: number[] = [];
    const queue = { enqueue: async (id: number) => void queued.push(id) };
    expect((await tick(database, queue, time.clock)).checks).toEqual([1]);
    const run = runQueuedJob(deps, 1, new AbortController().signal);
    await until(() => web.site.count("/slow-item") === 1);

    // Twice the lease goes by while the page holds its answer; the run renews its lease at every heartbeat.
    for (let t = 0; t < (2 * LEASE_MS) / HEARTBEAT_MS; t++) await heartbeat(time, database, 1);
    expect(time.clock.now().getTime() - T0).toBeGreaterThan(LEASE_MS);
    // The scheduler's next pass finds the job alive and the item held: nothing expired, nothing queued twice.
    expect(await tick(database, queue, time.clock)).toEqual({ crawls: [], checks: [], expired: 0 });
    await expect(runCheckJob(deps, 1, { dryRun: false, scheduled: false, updateSchedule: false }, new AbortController().signal)).rejects.toThrow(ConflictError);

    web.open("/slow-item");
    const done = (await run)!;
    expect(done).toMatchObject({ id: 1, status: "succeeded", error: null });
    expect(done.stats).toMatchObject({ action: "kept", checks: [{ outcome: "alive" }] });
    expect(checkJobStatsSchema.parse(done.stats)).toEqual(checkJobStats(done.stats)!);
    expect(queued).toEqual([1]);
    expect(Number((await database.client.execute("SELECT count(*) AS n FROM jobs")).rows[0]!.n)).toBe(1);
    expect(web.site.count("/slow-item")).toBe(1);
  });
});

describe("a run that lost its lease", () => {
  test("declared dead while it was only slow: it stops, and its end writes nothing over the failure", async () => {
    const time = testTime(T0);
    const { database, deps } = await setup("/slow-list", time);
    web.gate("/slow-list", html(`<div class="p"><h2>A</h2><a href="/a">a</a></div>`));
    const run = runCrawlJob(deps, await storedDefinitions(database, "p"), runOptionsSchema.parse({}), { scheduled: false, updateSchedule: false }, new AbortController().signal);
    await until(() => web.site.count("/slow-list") === 1);
    // The process stalls: its heartbeat does not come before the lease runs out, and a tick declares it dead.
    expect(await expireDeadJobs(database, new Date(T0 + LEASE_MS + 1))).toBe(1);
    const expired = await jobRow(database, 1);
    // At its next heartbeat the run learns it no longer holds the job, and stops.
    await until(() => time.sleeping > 0);
    time.advance(HEARTBEAT_MS);
    const done = await run;
    expect(done).toMatchObject({ id: 1, status: "failed", error: "lease expired: the process running this job stopped renewing it" });
    expect(await jobRow(database, 1)).toEqual(expired);
    expect(JSON.parse(String(expired.stats))).toEqual({});
    expect(Number((await database.client.execute("SELECT count(*) AS n FROM items")).rows[0]!.n)).toBe(0);
  });

  test("items read after the lease was lost, before the run found out, are not written: a successor may be running by now", async () => {
    const time = testTime(T0);
    const records: LogRecord[] = [];
    const { database, deps } = await setup("/lost-first", time);
    // The page answers only once the lease is gone: its item is read, and its write tried, by a run that no longer
    // holds the job but has not found out yet (its next heartbeat is a whole interval away).
    web.gate("/lost-first", html(`<div class="p"><h2>A</h2><a href="/a">a</a></div>`), { etag: '"v1"' });
    const run = runCrawlJob(
      { ...deps, conditionalRequests: true, log: { ...deps.log, sink: (r) => records.push(r) } },
      await storedDefinitions(database, "p"),
      runOptionsSchema.parse({}),
      { scheduled: false, updateSchedule: false },
      new AbortController().signal,
    );
    await until(() => web.site.count("/lost-first") === 1);
    expect(await expireDeadJobs(database, new Date(T0 + LEASE_MS + 1))).toBe(1);
    const expired = await jobRow(database, 1);
    web.open("/lost-first");
    await until(() => records.some((r) => r.msg.includes("not written")));
    expect(records.find((r) => r.msg.includes("not written"))).toMatchObject({ level: "WARNING", msg: "1 item(s) not written: job 1 is no longer this run's (its lease was lost): nothing more is written" });
    // Its one page read, the run ends before its next heartbeat: its finish, fenced too, leaves the failure as it is.
    const done = await run;
    expect(done).toMatchObject({ status: "failed", error: "lease expired: the process running this job stopped renewing it" });
    expect(await jobRow(database, 1)).toEqual(expired);
    expect(Number((await database.client.execute("SELECT count(*) AS n FROM items")).rows[0]!.n)).toBe(0);
    expect(Number((await database.client.execute("SELECT count(*) AS n FROM page_validators")).rows[0]!.n)).toBe(0);
  });

  test("finishing after the lease was taken writes nothing: the new status stays", async () => {
    const time = testTime(T0);
    const { database, deps } = await setup("/stalled-list", time);
    web.gate("/stalled-list", html(`<div class="p"><h2>A</h2><a href="/a">a</a></div>`));
    const run = runCrawlJob(deps, await storedDefinitions(database, "p"), runOptionsSchema.parse({}), { scheduled: false, updateSchedule: false }, new AbortController().signal);
    await until(() => web.site.count("/stalled-list") === 1);
    // Expired without any heartbeat coming due; the run only finds out when it finishes.
    expect(await expireDeadJobs(database, new Date(T0 + LEASE_MS + 1))).toBe(1);
    const expired = await jobRow(database, 1);
    web.open("/stalled-list");
    const done = await run;
    expect(done).toMatchObject({ status: "failed", error: "lease expired: the process running this job stopped renewing it" });
    expect(await jobRow(database, 1)).toEqual(expired);
  });

  test("cancelled by a user: it stops at its next heartbeat and records only its stats", async () => {
    const time = testTime(T0);
    const { database, deps } = await setup("/cancelled-list", time);
    web.gate("/cancelled-list", html(`<div class="p"><h2>A</h2><a href="/a">a</a></div>`));
    const run = runCrawlJob(deps, await storedDefinitions(database, "p"), runOptionsSchema.parse({}), { scheduled: false, updateSchedule: false }, new AbortController().signal);
    await until(() => web.site.count("/cancelled-list") === 1);
    const cancelled = (await cancelJob(database, 1, time.clock.now()))!;
    expect(cancelled).toMatchObject({ status: "cancelled", error: "cancelled" });
    await until(() => time.sleeping > 0);
    time.advance(HEARTBEAT_MS);
    const done = await run;
    expect(done).toMatchObject({ status: "cancelled", error: "cancelled", finished_at: cancelled.finished_at });
    expect(crawlJobStats(done.stats)?.pages).toMatchObject({ main: 0, failed: 1 });
  });
});
