/** The queue consumer: runs a queued job by kind, and moves the schedule of scheduled runs whatever happens. */
import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/connect.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { cancelJob, queueJob } from "../../src/jobs/lifecycle.ts";
import { runQueuedJob, type RunnerDeps } from "../../src/jobs/runner.ts";
import { crawlJobStats, crawlJobStatsSchema } from "../../src/model/job-stats.ts";
import { systemClock } from "../../src/ports.ts";
import { store, TEST_FETCH } from "../support/crawl.ts";
import { html, startSite, type Site } from "../support/site.ts";
import { tempDatabase } from "../support/temp.ts";

// Each test has its own site and database: none reads what another left behind.
const sites: Site[] = [];
afterEach(async () => {
  for (const site of sites.splice(0)) await site.close();
});

async function setup(status = "ACTIVE") {
  const site = startSite({ "/list": html(`<div class="q"><h2>A</h2></div>`) });
  sites.push(site);
  const database = await tempDatabase();
  await store(database, {
    classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S", id_field: true }] }],
    scrapers: [{ name: "q", class: "Q", status: status as "ACTIVE", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//div[@class='q']" }, { attr: "title", x_path: "h2/text()" }] }],
    sources: [{ name: "s", url: `${site.url}/list`, scraper: "q" }],
  });
  const deps: RunnerDeps = {
    database,
    fetcher: new Fetcher(TEST_FETCH),
    clock: systemClock,
    env: { timeZone: "UTC", now: () => new Date() },
    log: { level: "ERROR", limit: 10, sink: () => {} },
    conditionalRequests: false,
  };
  return { site, database, deps };
}

const runtime = async (database: Database) =>
  (await database.client.execute("SELECT next_action_time, next_action_factor, num_zero_actions FROM scheduler_runtimes WHERE source_id = 1")).rows[0]!;

describe("runQueuedJob", () => {
  test("runs a queued scheduled crawl and moves its runtime (a save is a success)", async () => {
    const { site, database, deps } = await setup();
    const job = await queueJob(database, { kind: "crawl", source_id: 1, update_schedule: true, params: { dry_run: false } }, new Date());
    const done = await runQueuedJob(deps, job.id, new AbortController().signal);
    expect(done).toMatchObject({ id: job.id, status: "succeeded" });
    expect(crawlJobStatsSchema.parse(done!.stats)).toEqual(crawlJobStats(done!.stats)!);
    expect(site.count("/list")).toBe(1);
    expect({ ...(await runtime(database)) }).toMatchObject({ next_action_factor: 7.692, num_zero_actions: 0 });
  });

  test("a job that is no longer queued is left alone (a re-delivered or cancelled message)", async () => {
    const { site, database, deps } = await setup();
    const job = await queueJob(database, { kind: "crawl", source_id: 1, update_schedule: true, params: { dry_run: false } }, new Date());
    await cancelJob(database, job.id, new Date());
    const before = await runtime(database);
    expect(await runQueuedJob(deps, job.id, new AbortController().signal)).toBeUndefined();
    expect(await runtime(database)).toEqual(before);
    expect(site.count("/list")).toBe(0);
    expect(await runQueuedJob(deps, 9999, new AbortController().signal)).toBeUndefined();
  });

  test("a scheduled job refused at run time (the scraper was paused since) fails with the reason, and the runtime still moves", async () => {
    const { site, database, deps } = await setup();
    const job = await queueJob(database, { kind: "crawl", source_id: 1, update_schedule: true, params: { dry_run: false } }, new Date());
    await database.client.execute("UPDATE scrapers SET status = 'MANUAL'");
    const done = await runQueuedJob(deps, job.id, new AbortController().signal);
    expect(done).toMatchObject({ status: "failed", error: 'scraper "q" is MANUAL: it does not run on schedule (set its status to ACTIVE to run it)' });
    expect(site.count("/list")).toBe(0);
    expect({ ...(await runtime(database)) }).toMatchObject({ next_action_factor: 10, num_zero_actions: 1 });
  });
});
