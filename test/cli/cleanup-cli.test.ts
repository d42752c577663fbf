/**
 * `last_seen_at` as crawls move it (new, changed and unchanged items alike; a dry run moves nothing), and
 * `dscraper cleanup` deleting what no crawl has seen for N days, as a user runs it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/connect.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { runCrawlJob } from "../../src/jobs/crawl-job.ts";
import { storedDefinitions } from "../../src/jobs/definitions.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { runCli } from "../support/cli.ts";
import { store, TEST_FETCH } from "../support/crawl.ts";
import { html, startSite } from "../support/site.ts";
import { tempDatabase } from "../support/temp.ts";

const DAY = 24 * 60 * 60 * 1000;
const site = startSite({});
afterAll(() => site.close());

function page(items: [string, string][]): string {
  return html(items.map(([title, note]) => `<div class="i"><h2>${title}</h2><p>${note}</p></div>`).join(""));
}

async function project(): Promise<Database & { url: string }> {
  const database = await tempDatabase();
  await store(database, {
    classes: [{ name: "I", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S", id_field: true }, { name: "note", attr_type: "T" }] }],
    scrapers: [
      {
        name: "i",
        class: "I",
        status: "MANUAL",
        page_types: [{ page_type: "MP" }],
        elems: [
          { attr: "base", x_path: "//div[@class='i']" },
          { attr: "title", x_path: "h2/text()" },
          { attr: "note", x_path: "p/text()" },
        ],
      },
    ],
    sources: [
      { name: "i", url: `${site.url}/i`, scraper: "i" },
      { name: "other", url: `${site.url}/other`, scraper: "i" },
    ],
  });
  return database;
}

/** A crawl of `source` whose clock reads `at`. */
async function crawlAt(database: Database, source: string, at: number, dryRun = false): Promise<void> {
  const job = await runCrawlJob(
    {
      database,
      fetcher: new Fetcher(TEST_FETCH),
      clock: { now: () => new Date(at) },
      env: { timeZone: "UTC", now: () => new Date(at) },
      log: { level: "ERROR", limit: 100, sink: () => {} },
      conditionalRequests: false,
    },
    await storedDefinitions(database, source),
    runOptionsSchema.parse({ dry_run: dryRun }),
    { scheduled: false, updateSchedule: false },
    new AbortController().signal,
  );
  expect(job.status).toBe("succeeded");
}

async function seen(database: Database): Promise<Record<string, [number, number]>> {
  const rows = await database.client.execute("SELECT data, last_seen_at, updated_at FROM items ORDER BY id");
  return Object.fromEntries(rows.rows.map((r) => [String((JSON.parse(String(r.data)) as { title: string }).title), [Number(r.last_seen_at), Number(r.updated_at)]]));
}

describe("last_seen_at", () => {
  test("every item a crawl reads is seen, new, changed or not; what it no longer finds keeps its time; a dry run sees nothing", async () => {
    const database = await project();
    const t0 = Date.UTC(2025, 0, 1);
    site.set("/i", page([["A", "a"], ["B", "b"], ["C", "c"]]));
    await crawlAt(database, "i", t0);
    expect(await seen(database)).toEqual({ A: [t0, t0], B: [t0, t0], C: [t0, t0] });

    site.set("/i", page([["A", "a"], ["B", "b, changed"]]));
    const t1 = t0 + 10 * DAY;
    await crawlAt(database, "i", t1);
    // A unchanged: seen, not updated. B changed: both. C not read: neither.
    expect(await seen(database)).toEqual({ A: [t1, t0], B: [t1, t1], C: [t0, t0] });

    await crawlAt(database, "i", t1 + DAY, true);
    expect(await seen(database)).toEqual({ A: [t1, t0], B: [t1, t1], C: [t0, t0] });
  });
});

describe("dscraper cleanup", () => {
  test("deletes the items not seen for N days, of one source or all; --dry-run counts; --json reports", async () => {
    const database = await project();
    const now = Date.now();
    site.set("/i", page([["A", "a"], ["B", "b"], ["C", "c"]]));
    site.set("/other", page([["X", "x"]]));
    await crawlAt(database, "i", now - 20 * DAY);
    await crawlAt(database, "other", now - 20 * DAY);
    site.set("/i", page([["A", "a"]]));
    await crawlAt(database, "i", now - 2 * DAY);
    const db = ["--db", database.url];

    const dry = await runCli(["cleanup", "--days", "5", "--dry-run", "--json", ...db]);
    expect(dry.code).toBe(0);
    // Every stored item has a checker runtime (one that never comes due without checkers).
    expect(JSON.parse(dry.stdout)).toMatchObject({ items: 3, images: 0, runtimes: 3, source: null, dry_run: true });
    expect(Object.keys(await seen(database))).toEqual(["A", "B", "C", "X"]);

    const one = await runCli(["cleanup", "--days", "5", "--source", "other", ...db]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^deleted 1 item\(s\) not seen since \S+Z of source other: 0 image file\(s\), 1 runtime\(s\)\n$/);
    expect(Object.keys(await seen(database))).toEqual(["A", "B", "C"]);

    const all = await runCli(["cleanup", "--days", "5", "--json", ...db]);
    expect(JSON.parse(all.stdout)).toMatchObject({ items: 2, runtimes: 2, source: null, dry_run: false });
    expect(Object.keys(await seen(database))).toEqual(["A"]);
  });

  test("bad usage: no --days, --days 0, an unknown source: exit 2 naming it", async () => {
    const database = await project();
    const db = ["--db", database.url];
    expect(await runCli(["cleanup", ...db])).toMatchObject({ code: 2, stderr: "dscraper: 'cleanup' needs --days N: the items no crawl has seen for N days are deleted\n" });
    expect(await runCli(["cleanup", "--days", "0", ...db])).toMatchObject({ code: 2, stderr: "dscraper: --days must be at least 1, got 0\n" });
    expect(await runCli(["cleanup", "--days", "1", "--source", "nope", ...db])).toMatchObject({ code: 2, stderr: 'dscraper: no source named "nope"\n' });
  });
});
