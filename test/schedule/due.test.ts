/**
 * The scheduler tick's selection on real databases: which runtimes come due, in what order, which a job holds,
 * and the query plan that keeps a tick at about `limit` rows read.
 */
import { describe, expect, test } from "bun:test";
import type { InValue } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql/web";
import type { JobKind, JobStatus } from "../../src/model/enums.ts";
import { schema, type Database } from "../../src/db/connect.ts";
import { dueCheckers, dueCheckersQuery, dueSources, dueSourcesQuery, MAX_CHECKER_RUNS_PER_TICK, MAX_SPIDER_RUNS_PER_TICK, refreshRunnable } from "../../src/db/runtimes.ts";
import { DATABASE_BACKENDS, tempDatabase } from "../support/temp.ts";

const NOW = new Date("2030-06-01T12:00:00.000Z");
const at = (minutesFromNow: number) => NOW.getTime() + minutesFromNow * 60_000;

/** A source (or an item) and its runtime, due `at` minutes from NOW. */
interface Due {
  name: string;
  at: number;
  runnable?: boolean;
}
interface Job {
  kind: JobKind;
  status: JobStatus;
  /** The source (crawl) or item (check) it holds. */
  of: string;
}
interface World {
  /** Sources, each with a scraper runtime, created in this order (so runtime ids follow it). */
  sources?: Due[];
  /** Items of one more source, each with a checker runtime. */
  items?: Due[];
  jobs?: Job[];
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Writes a world with raw SQL, ids given explicitly: source `i` has id i + 1, item `i` id i + 1. Returns the
 * names by id, to read results in the tests' words.
 */
async function seed(database: Database, world: World): Promise<{ source: (id: number) => string; item: (id: number) => string }> {
  const sources = world.sources ?? [];
  const items = world.items ?? [];
  const sourceIds = new Map(sources.map((s, i) => [s.name, i + 1]));
  const itemIds = new Map(items.map((s, i) => [s.name, i + 1]));
  const holderId = sources.length + 1;
  const statements = [
    `INSERT INTO classes (id, name, definition, created_at, updated_at) VALUES (1, 'Thing', '{}', 0, 0)`,
    `INSERT INTO scrapers (id, name, class_id, status, definition, created_at, updated_at) VALUES (1, 'things', 1, 'ACTIVE', '{}', 0, 0)`,
    ...[...sources.map((s) => s.name), "item holder"].map(
      (name, i) => `INSERT INTO sources (id, name, scraper_id, url, urls, active, created_at, updated_at) VALUES (${i + 1}, ${q(name)}, 1, 'http://x.test/', '[]', 1, 0, 0)`,
    ),
    ...sources.map(
      (s) => `INSERT INTO scheduler_runtimes (runtime_type, source_id, runnable, next_action_time) VALUES ('S', ${sourceIds.get(s.name)}, ${s.runnable === false ? 0 : 1}, ${at(s.at)})`,
    ),
    ...items.map(
      (s, i) => `INSERT INTO items (id, class_id, source_id, unique_key, url, data, created_at, updated_at) VALUES (${i + 1}, 1, ${holderId}, ${q(s.name)}, NULL, '{}', 0, 0)`,
    ),
    ...items.map(
      (s) => `INSERT INTO scheduler_runtimes (runtime_type, item_id, runnable, next_action_time) VALUES ('C', ${itemIds.get(s.name)}, ${s.runnable === false ? 0 : 1}, ${at(s.at)})`,
    ),
    ...(world.jobs ?? []).map((j) => {
      const [column, id] = j.kind === "crawl" ? ["source_id", sourceIds.get(j.of)] : ["item_id", itemIds.get(j.of)];
      if (id === undefined) throw new Error(`no ${j.kind === "crawl" ? "source" : "item"} named ${j.of}`);
      return `INSERT INTO jobs (kind, status, ${column}, params, stats, created_at) VALUES ('${j.kind}', '${j.status}', ${id}, '{}', '{}', 0)`;
    }),
  ];
  await database.client.batch(statements, "write");
  const name = (names: Map<string, number>) => (id: number) => [...names].find(([, v]) => v === id)?.[0] ?? `#${id}`;
  return { source: name(sourceIds), item: name(itemIds) };
}

describe.each(DATABASE_BACKENDS)("due selection on a $name database", ({ open }) => {
  async function sourcesDue(world: World, limit?: number): Promise<string[]> {
    const database = await open();
    const names = await seed(database, world);
    return (await dueSources(database, NOW, limit)).map((d) => names.source(d.sourceId));
  }
  async function checkersDue(world: World, limit?: number): Promise<string[]> {
    const database = await open();
    const names = await seed(database, world);
    return (await dueCheckers(database, NOW, limit)).map((d) => names.item(d.itemId));
  }

  test("what a due source carries: its runtime id, its source id and the time it came due", async () => {
    const database = await open();
    await seed(database, { sources: [{ name: "a", at: 5 }, { name: "b", at: -5 }] });
    expect(await dueSources(database, NOW)).toEqual([{ runtimeId: 2, sourceId: 2, nextActionTime: new Date(at(-5)) }]);
    expect(await dueCheckers(database, NOW)).toEqual([]);
  });

  test("what a due checker carries: its runtime id, its item id and the time it came due", async () => {
    const database = await open();
    await seed(database, { sources: [{ name: "s", at: -60 }], items: [{ name: "i1", at: 1 }, { name: "i2", at: -1 }] });
    expect(await dueCheckers(database, NOW)).toEqual([{ runtimeId: 3, itemId: 2, nextActionTime: new Date(at(-1)) }]);
  });

  test.each<[string, World, number | undefined, string[]]>([
    ["oldest first", { sources: [{ name: "a", at: -10 }, { name: "b", at: -30 }, { name: "c", at: -20 }] }, undefined, ["b", "c", "a"]],
    ["due exactly now counts; a millisecond later does not", { sources: [{ name: "now", at: 0 }, { name: "later", at: 1 / 60_000 }] }, undefined, ["now"]],
    ["not yet due is left out", { sources: [{ name: "soon", at: 1 }, { name: "past", at: -1 }, { name: "next week", at: 10_080 }] }, undefined, ["past"]],
    ["runnable = 0 (paused or inactive) is left out however old", { sources: [{ name: "paused", at: -9999, runnable: false }, { name: "a", at: -1 }] }, undefined, ["a"]],
    ["a tie goes to the older runtime", { sources: [{ name: "first", at: -5 }, { name: "second", at: -5 }, { name: "third", at: -5 }] }, undefined, ["first", "second", "third"]],
    [
      "at most max_spider_runs_per_tick (10) by default, the oldest",
      { sources: Array.from({ length: 12 }, (_, i) => ({ name: `s${i}`, at: -i })) },
      undefined,
      Array.from({ length: 10 }, (_, i) => `s${11 - i}`),
    ],
    ["at most the limit asked for", { sources: Array.from({ length: 5 }, (_, i) => ({ name: `s${i}`, at: -i })) }, 3, ["s4", "s3", "s2"]],
    [
      "a queued or running crawl holds its source; the next due ones take its place",
      {
        sources: [{ name: "a", at: -40 }, { name: "b", at: -30 }, { name: "c", at: -20 }, { name: "d", at: -10 }],
        jobs: [{ kind: "crawl", status: "queued", of: "a" }, { kind: "crawl", status: "running", of: "c" }],
      },
      2,
      ["b", "d"],
    ],
    [
      "a finished crawl (succeeded, failed, cancelled) holds nothing",
      {
        sources: [{ name: "a", at: -30 }, { name: "b", at: -20 }, { name: "c", at: -10 }],
        jobs: [{ kind: "crawl", status: "succeeded", of: "a" }, { kind: "crawl", status: "failed", of: "b" }, { kind: "crawl", status: "cancelled", of: "c" }, { kind: "crawl", status: "failed", of: "c" }],
      },
      undefined,
      ["a", "b", "c"],
    ],
    [
      "a check of an item does not hold a source",
      { sources: [{ name: "a", at: -10 }], items: [{ name: "i", at: -10 }], jobs: [{ kind: "check", status: "running", of: "i" }] },
      undefined,
      ["a"],
    ],
    ["checker runtimes are not sources", { sources: [{ name: "a", at: -1 }], items: [{ name: "i", at: -100 }] }, undefined, ["a"]],
  ])("sources: %s", async (_label, world, limit, expected) => {
    expect(await sourcesDue(world, limit)).toEqual(expected);
  });

  test.each<[string, World, number | undefined, string[]]>([
    ["oldest first", { items: [{ name: "a", at: -10 }, { name: "b", at: -30 }, { name: "c", at: -20 }] }, undefined, ["b", "c", "a"]],
    ["not yet due is left out", { items: [{ name: "soon", at: 1 }, { name: "now", at: 0 }] }, undefined, ["now"]],
    ["runnable = 0 (paused scraper, or no checkers) is left out", { items: [{ name: "off", at: -9999, runnable: false }, { name: "a", at: -1 }] }, undefined, ["a"]],
    [
      "at most max_checker_runs_per_tick (25) by default, the oldest",
      { items: Array.from({ length: 30 }, (_, i) => ({ name: `i${i}`, at: -i })) },
      undefined,
      Array.from({ length: 25 }, (_, i) => `i${29 - i}`),
    ],
    ["at most the limit asked for", { items: Array.from({ length: 5 }, (_, i) => ({ name: `i${i}`, at: -i })) }, 2, ["i4", "i3"]],
    [
      "a queued or running check holds its item; the next due ones take its place",
      {
        items: [{ name: "a", at: -40 }, { name: "b", at: -30 }, { name: "c", at: -20 }, { name: "d", at: -10 }],
        jobs: [{ kind: "check", status: "running", of: "a" }, { kind: "check", status: "queued", of: "b" }],
      },
      2,
      ["c", "d"],
    ],
    [
      "a finished check (succeeded, failed, cancelled) holds nothing",
      {
        items: [{ name: "a", at: -30 }, { name: "b", at: -20 }, { name: "c", at: -10 }],
        jobs: [{ kind: "check", status: "succeeded", of: "a" }, { kind: "check", status: "failed", of: "b" }, { kind: "check", status: "cancelled", of: "c" }],
      },
      undefined,
      ["a", "b", "c"],
    ],
    [
      "a crawl of a source does not hold its items",
      { sources: [{ name: "s", at: 100 }], items: [{ name: "i", at: -10 }], jobs: [{ kind: "crawl", status: "running", of: "s" }] },
      undefined,
      ["i"],
    ],
    ["source runtimes are not checkers", { sources: [{ name: "s", at: -100 }], items: [{ name: "i", at: -1 }] }, undefined, ["i"]],
  ])("checkers: %s", async (_label, world, limit, expected) => {
    expect(await checkersDue(world, limit)).toEqual(expected);
  });

  test("pausing a scraper takes its sources out of the tick, resuming brings them back", async () => {
    const database = await open();
    await seed(database, { sources: [{ name: "a", at: -10 }, { name: "b", at: -5 }] });
    await database.client.execute("UPDATE scrapers SET status = 'PAUSED' WHERE id = 1");
    await refreshRunnable(database.db, [1]);
    expect(await dueSources(database, NOW)).toEqual([]);
    await database.client.execute("UPDATE scrapers SET status = 'ACTIVE' WHERE id = 1");
    await refreshRunnable(database.db, [1]);
    expect((await dueSources(database, NOW)).map((d) => d.sourceId)).toEqual([1, 2]);
  });
});

test("the default limits are SPEC's max_spider_runs_per_tick and max_checker_runs_per_tick", () => {
  expect([MAX_SPIDER_RUNS_PER_TICK, MAX_CHECKER_RUNS_PER_TICK]).toEqual([10, 25]);
});

describe("the due queries' plans (file database)", () => {
  interface PlanRow {
    id: number;
    parent: number;
    detail: string;
  }
  async function plan(database: Database, query: { toSQL(): { sql: string; params: unknown[] } }): Promise<PlanRow[]> {
    const { sql, params } = query.toSQL();
    const result = await database.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: params as InValue[] });
    return result.rows.map((r) => ({ id: Number(r.id), parent: Number(r.parent), detail: String(r.detail) }));
  }

  /** The whole plan, line by line: one index range on the runtimes, one index probe of the jobs per runtime. */
  function expectIndexOnly(rows: PlanRow[], jobsIndex: string, jobsColumn: string): void {
    expect(rows.map((r) => r.detail)).toEqual([
      expect.stringMatching(/^SEARCH scheduler_runtimes USING (COVERING )?INDEX runtimes_due \(runtime_type=\? AND next_action_time<\?\)$/),
      expect.stringMatching(/^CORRELATED SCALAR SUBQUERY \d+$/),
      expect.stringMatching(new RegExp(`^SEARCH jobs USING (COVERING )?INDEX ${jobsIndex} \\(${jobsColumn}=\\?\\)$`)),
    ]);
    const [runtimes, subquery, jobs] = rows as [PlanRow, PlanRow, PlanRow];
    expect([runtimes.parent, subquery.parent, jobs.parent]).toEqual([0, 0, subquery.id]);
    // No SCAN of any table, and no sort: the index order is the answer's order, so LIMIT stops the walk.
    for (const r of rows) expect(r.detail).not.toMatch(/SCAN|TEMP B-TREE|AUTOMATIC/);
  }

  const scenarios: [string, (database: Database) => Promise<void>][] = [
    ["empty, no statistics", async () => {}],
    [
      "after ANALYZE, with most runtimes not runnable and many finished jobs",
      async (database) => {
        const sources = Array.from({ length: 300 }, (_, i) => ({ name: `s${i}`, at: i - 150, runnable: i % 3 === 0 }));
        const items = Array.from({ length: 300 }, (_, i) => ({ name: `i${i}`, at: i - 150, runnable: i % 4 === 0 }));
        const jobs: Job[] = sources.map((s, i) => ({ kind: "crawl", status: i % 50 === 0 ? "running" : "succeeded", of: s.name }));
        await seed(database, { sources, items, jobs });
        await database.client.execute("ANALYZE");
      },
    ],
  ];

  test.each(scenarios)("%s", async (_label, prepare) => {
    const database = await tempDatabase();
    await prepare(database);
    expectIndexOnly(await plan(database, dueSourcesQuery(database, NOW)), "jobs_one_crawl_per_source", "source_id");
    expectIndexOnly(await plan(database, dueCheckersQuery(database, NOW)), "jobs_one_check_per_item", "item_id");
  });

  test("the functions run exactly the SQL the plan test explains", async () => {
    const database = await tempDatabase();
    const seen: string[] = [];
    const logged = drizzle({ client: database.client, schema, logger: { logQuery: (query) => void seen.push(query) } });
    await dueSources({ db: logged }, NOW);
    await dueCheckers({ db: logged }, NOW);
    expect(seen).toEqual([dueSourcesQuery(database, NOW).toSQL().sql, dueCheckersQuery(database, NOW).toSQL().sql]);
  });
});
