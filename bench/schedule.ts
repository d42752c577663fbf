/**
 * The scheduler tick's selection at scale: `bun bench/schedule.ts [--sources=N] [--items=N] [--keep]`.
 *
 * Seeds a fresh file database under the OS temp folder with 100,000 sources (scraper runtimes, about a third not
 * runnable) and 1,000,000 items (checker runtimes, likewise), next action times spread over a fortnight around
 * now, and a history of finished jobs; then times one tick's selection (`dueSources` + `dueCheckers`) on fresh
 * connections (cold: empty SQLite page cache, the OS file cache warm) and on a connection that already ran it
 * (warm), idle and with a backlog of queued and running jobs, and prints the query plans before and after
 * ANALYZE. Target: a tick under 50 ms, reading through indexes only.
 */
import { createClient, type Client, type InValue } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql/web";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { connectDatabase } from "../cli/database.ts";
import { schema, type Db } from "../src/db/connect.ts";
import { dueCheckers, dueCheckersQuery, dueSources, dueSourcesQuery } from "../src/db/runtimes.ts";

const { values: args } = parseArgs({
  options: {
    sources: { type: "string", default: "100000" },
    items: { type: "string", default: "1000000" },
    keep: { type: "boolean", default: false },
  },
});
const SOURCES = Number(args.sources);
const ITEMS = Number(args.items);
const SCRAPERS = 300; // every third PAUSED: a third of all runtimes not runnable
const FINISHED_JOBS = 300_000;
const HELD_SOURCES = 100; // ten ticks' worth of sources in flight
const HELD_ITEMS = 250;
const TARGET_MS = 50;
const COLD_RUNS = 9;
const WARM_RUNS = 51;
const CHUNK = 100_000;

const NOW = Date.now();
const DAY = 86_400_000;
/** A deterministic spread over [now − 7 days, now + 7 days): Knuth's multiplicative hash of the row number. */
const spreadTime = (column: string) => `${NOW - 7 * DAY} + (${column} * 2654435761) % ${14 * DAY}`;

const dir = mkdtempSync(join(tmpdir(), "dscraper-bench-"));
const path = join(dir, "bench.db");
const url = `file:${path}`;
const n = (x: number) => x.toLocaleString("en-US");
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Row numbers `from`..`to` as a CTE named n(i), for INSERT … SELECT without building rows in JavaScript. */
const rows = (from: number, to: number) => `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})`;

/** One INSERT … SELECT per chunk of rows, each chunk its own transaction, so no transaction grows unbounded. */
async function chunked(client: Client, total: number, statement: (from: number, to: number) => string): Promise<void> {
  for (let from = 1; from <= total; from += CHUNK) {
    await client.batch([statement(from, Math.min(total, from + CHUNK - 1))], "write");
  }
}

async function timed(label: string, timings: string[], work: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await work();
  timings.push(`${label} ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

async function seed(client: Client): Promise<string[]> {
  const timings: string[] = [];
  await client.execute("PRAGMA synchronous = OFF"); // a throwaway database: durability buys nothing here
  await client.execute("PRAGMA cache_size = -65536"); // 64 MiB while seeding only; the timed connections use the default
  await timed("classes+scrapers", timings, async () => {
    await client.batch(
      [
        `INSERT INTO classes (id, name, definition, created_at, updated_at) VALUES (1, 'Article', '{}', ${NOW}, ${NOW})`,
        `${rows(1, SCRAPERS)} INSERT INTO scrapers (id, name, class_id, status, definition, created_at, updated_at)
         SELECT i, 'scraper-' || i, 1, CASE WHEN i % 3 = 0 THEN 'PAUSED' ELSE 'ACTIVE' END, '{"checkers":[{"attr":"url"}]}', ${NOW}, ${NOW} FROM n`,
      ],
      "write",
    );
  });
  await timed("sources", timings, () =>
    chunked(client, SOURCES, (from, to) => `${rows(from, to)} INSERT INTO sources (id, name, scraper_id, url, urls, active, created_at, updated_at)
      SELECT i, 'source-' || i, 1 + (i - 1) % ${SCRAPERS}, 'https://site-' || i || '.test/', '[]', i % 50 <> 0, ${NOW}, ${NOW} FROM n`),
  );
  await timed("scraper runtimes", timings, () =>
    chunked(client, SOURCES, (from, to) => `INSERT INTO scheduler_runtimes (runtime_type, source_id, runnable, next_action_time, next_action_factor, num_zero_actions, num_404)
      SELECT 'S', src.id, s.status = 'ACTIVE' AND src.active, ${spreadTime("src.id")}, 10, src.id % 20, 0
      FROM sources src JOIN scrapers s ON s.id = src.scraper_id WHERE src.id BETWEEN ${from} AND ${to}`),
  );
  await timed("items", timings, () =>
    chunked(client, ITEMS, (from, to) => `${rows(from, to)} INSERT INTO items (id, class_id, source_id, unique_key, url, data, created_at, updated_at)
      SELECT i, 1, 1 + (i - 1) % ${SOURCES}, printf('%016x', i * 2654435761), 'https://example.test/items/' || i, '{"title":"Item ' || i || '"}', ${NOW}, ${NOW} FROM n`),
  );
  await timed("checker runtimes", timings, () =>
    chunked(client, ITEMS, (from, to) => `INSERT INTO scheduler_runtimes (runtime_type, item_id, runnable, next_action_time, next_action_factor, num_zero_actions, num_404)
      SELECT 'C', i.id, s.status = 'ACTIVE', ${spreadTime("(i.id + 7)")}, 1, i.id % 5, 0
      FROM items i JOIN sources src ON src.id = i.source_id JOIN scrapers s ON s.id = src.scraper_id WHERE i.id BETWEEN ${from} AND ${to}`),
  );
  await timed("finished jobs", timings, () =>
    chunked(client, FINISHED_JOBS, (from, to) => `${rows(from, to)} INSERT INTO jobs (kind, status, source_id, scraper_id, item_id, params, stats, created_at, finished_at)
      SELECT CASE WHEN i % 2 THEN 'crawl' ELSE 'check' END, CASE i % 3 WHEN 0 THEN 'succeeded' WHEN 1 THEN 'failed' ELSE 'cancelled' END,
        CASE WHEN i % 2 THEN 1 + (i * 7) % ${SOURCES} END, NULL, CASE WHEN i % 2 THEN NULL ELSE 1 + (i * 13) % ${ITEMS} END,
        '{}', '{"pages":1}', ${NOW} - i * 1000, ${NOW} - i * 1000 + 500 FROM n`),
  );
  await timed("checkpoint", timings, async () => {
    await client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  });
  return timings;
}

/** The oldest due runnable sources and items get queued/running jobs: the tick must walk past them. */
async function holdOldest(client: Client): Promise<void> {
  await client.batch(
    [
      `INSERT INTO jobs (kind, status, source_id, params, stats, created_at)
       SELECT 'crawl', CASE WHEN id % 2 THEN 'queued' ELSE 'running' END, source_id, '{}', '{}', ${NOW} FROM scheduler_runtimes
       WHERE runtime_type = 'S' AND runnable = 1 AND next_action_time <= ${NOW} ORDER BY next_action_time, id LIMIT ${HELD_SOURCES}`,
      `INSERT INTO jobs (kind, status, item_id, params, stats, created_at)
       SELECT 'check', CASE WHEN id % 2 THEN 'queued' ELSE 'running' END, item_id, '{}', '{}', ${NOW} FROM scheduler_runtimes
       WHERE runtime_type = 'C' AND runnable = 1 AND next_action_time <= ${NOW} ORDER BY next_action_time, id LIMIT ${HELD_ITEMS}`,
    ],
    "write",
  );
}

interface Tick {
  sources: number;
  checkers: number;
  /** The last runtime each query returned, to count how far it walked the index. */
  lastSource?: { runtimeId: number; nextActionTime: Date };
  lastChecker?: { runtimeId: number; nextActionTime: Date };
  sourcesMs: number;
  checkersMs: number;
  totalMs: number;
}

async function tick(db: Db, now: Date): Promise<Tick> {
  const start = performance.now();
  const due = await dueSources({ db }, now);
  const between = performance.now();
  const checks = await dueCheckers({ db }, now);
  const end = performance.now();
  return { sources: due.length, checkers: checks.length, lastSource: due.at(-1), lastChecker: checks.at(-1), sourcesMs: between - start, checkersMs: end - between, totalMs: end - start };
}

/** A new connection per run: its first tick also reads the schema and starts from an empty page cache. */
async function coldTicks(now: Date): Promise<Tick[]> {
  const results: Tick[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const client = createClient({ url });
    results.push(await tick(drizzle({ client, schema }), now));
    client.close();
  }
  return results;
}

async function warmTicks(now: Date): Promise<Tick[]> {
  const client = createClient({ url });
  const db = drizzle({ client, schema });
  await tick(db, now);
  const results: Tick[] = [];
  for (let i = 0; i < WARM_RUNS; i++) results.push(await tick(db, now));
  client.close();
  return results;
}

interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

async function plan(client: Client, query: { toSQL(): { sql: string; params: unknown[] } }): Promise<PlanRow[]> {
  const { sql, params } = query.toSQL();
  const result = await client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: params as InValue[] });
  return result.rows.map((r) => ({ id: Number(r.id), parent: Number(r.parent), detail: String(r.detail) }));
}

function renderPlan(rows: PlanRow[]): string[] {
  const depth = new Map<number, number>([[0, 0]]);
  return rows.map((r) => {
    const d = (depth.get(r.parent) ?? 0) + 1;
    depth.set(r.id, d);
    return `${"  ".repeat(d + 2)}${r.detail}`;
  });
}

/** Index only: the runtimes through runtimes_due, the jobs through an index, nothing scanned or sorted. */
function indexOnly(rows: PlanRow[]): boolean {
  const details = rows.map((r) => r.detail);
  return (
    details.some((d) => /^SEARCH scheduler_runtimes USING (COVERING )?INDEX runtimes_due /.test(d)) &&
    details.some((d) => /^SEARCH jobs USING (COVERING )?INDEX jobs_one_/.test(d)) &&
    !details.some((d) => /SCAN|TEMP B-TREE|AUTOMATIC/.test(d))
  );
}

async function plans(client: Client, now: Date): Promise<{ lines: string[]; indexOnly: boolean; text: string }> {
  const db = drizzle({ client, schema });
  const sources = await plan(client, dueSourcesQuery({ db }, now));
  const checkers = await plan(client, dueCheckersQuery({ db }, now));
  const lines = ["    dueSources:", ...renderPlan(sources), "    dueCheckers:", ...renderPlan(checkers)];
  return { lines, indexOnly: indexOnly(sources) && indexOnly(checkers), text: JSON.stringify([sources, checkers].map((p) => p.map((r) => r.detail))) };
}

/**
 * How many runtimes_due entries a query stepped over to fill its answer: the due runnable runtimes up to the last
 * one returned. Each costs one scheduler_runtimes row lookup (source_id or item_id are not in the index) and one
 * probe of a jobs index: about the rows a Turso database bills for the tick.
 */
async function walked(client: Client, type: "S" | "C", last: { runtimeId: number; nextActionTime: Date } | undefined): Promise<number> {
  if (last === undefined) return 0;
  const t = last.nextActionTime.getTime();
  const result = await client.execute(`SELECT count(*) FROM scheduler_runtimes WHERE runtime_type = '${type}' AND runnable = 1
    AND (next_action_time < ${t} OR (next_action_time = ${t} AND id <= ${last.runtimeId}))`);
  return Number(result.rows[0]![0]);
}

async function report(client: Client, label: string, cold: Tick[], warm: Tick[]): Promise<string[]> {
  const row = (name: string, ticks: Tick[]) =>
    `  ${name.padEnd(5)} tick median ${ms(median(ticks.map((t) => t.totalMs))).padStart(9)}  max ${ms(Math.max(...ticks.map((t) => t.totalMs))).padStart(9)}` +
    `   (dueSources ${ms(median(ticks.map((t) => t.sourcesMs)))}, dueCheckers ${ms(median(ticks.map((t) => t.checkersMs)))}; n = ${ticks.length})`;
  const first = warm[0]!;
  const [sourceSteps, checkerSteps] = [await walked(client, "S", first.lastSource), await walked(client, "C", first.lastChecker)];
  return [
    `${label}: each tick picks ${first.sources} sources and ${first.checkers} checkers, walking ${sourceSteps} + ${checkerSteps} index entries`,
    row("cold", cold),
    row("warm", warm),
  ];
}

async function main(): Promise<void> {
  console.log("dscraper bench: the scheduler tick's selection (dueSources + dueCheckers)");
  console.log(`database: ${path}`);
  const database = await connectDatabase(url);
  const started = performance.now();
  const timings = await seed(database.client);
  const seedSeconds = (performance.now() - started) / 1000;
  const count = async (sql: string) => Number((await database.client.execute(sql)).rows[0]![0]);
  const runnableSources = await count("SELECT count(*) FROM scheduler_runtimes WHERE runtime_type = 'S' AND runnable = 1");
  const runnableItems = await count("SELECT count(*) FROM scheduler_runtimes WHERE runtime_type = 'C' AND runnable = 1");
  const dueNowSources = await count(`SELECT count(*) FROM scheduler_runtimes WHERE runtime_type = 'S' AND runnable = 1 AND next_action_time <= ${NOW}`);
  const dueNowItems = await count(`SELECT count(*) FROM scheduler_runtimes WHERE runtime_type = 'C' AND runnable = 1 AND next_action_time <= ${NOW}`);
  console.log(`seeded in ${seedSeconds.toFixed(1)} s (${timings.join(", ")}); file ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB`);
  console.log(`  ${n(SOURCES)} sources: ${n(runnableSources)} runtimes runnable, ${n(dueNowSources)} of them due now`);
  console.log(`  ${n(ITEMS)} items: ${n(runnableItems)} checker runtimes runnable, ${n(dueNowItems)} of them due now`);
  console.log(`  ${n(FINISHED_JOBS)} finished jobs (succeeded / failed / cancelled)`);
  console.log("");

  const now = new Date(NOW);
  const results: { cold: Tick[]; warm: Tick[] }[] = [];
  const idle = { cold: await coldTicks(now), warm: await warmTicks(now) };
  results.push(idle);
  for (const line of await report(database.client, "idle (no queued or running job)", idle.cold, idle.warm)) console.log(line);
  await holdOldest(database.client);
  const busy = { cold: await coldTicks(now), warm: await warmTicks(now) };
  results.push(busy);
  for (const line of await report(database.client, `busy (the ${HELD_SOURCES} oldest due sources and ${HELD_ITEMS} oldest due items held by queued/running jobs)`, busy.cold, busy.warm)) {
    console.log(line);
  }
  console.log("");

  const before = await plans(database.client, now);
  console.log("query plans:");
  for (const line of before.lines) console.log(line);
  const analyzeStart = performance.now();
  await database.client.execute("ANALYZE");
  const after = await plans(database.client, now);
  const analyzed = { cold: await coldTicks(now), warm: await warmTicks(now) };
  results.push(analyzed);
  console.log(`after ANALYZE (${((performance.now() - analyzeStart) / 1000).toFixed(1)} s, as PRAGMA optimize may run it): plans ${after.text === before.text ? "unchanged" : "CHANGED"}`);
  if (after.text !== before.text) for (const line of after.lines) console.log(line);
  for (const line of await report(database.client, "busy, after ANALYZE", analyzed.cold, analyzed.warm)) console.log(line);
  console.log("");

  const worstMedian = Math.max(...results.flatMap((r) => [median(r.cold.map((t) => t.totalMs)), median(r.warm.map((t) => t.totalMs))]));
  const fast = worstMedian < TARGET_MS;
  const onlyIndexes = before.indexOnly && after.indexOnly;
  console.log(`target: one tick's selection under ${TARGET_MS} ms, index only`);
  console.log(`  slowest median (cold or warm, any scenario): ${ms(worstMedian)}: ${fast ? "under" : "NOT under"} ${TARGET_MS} ms`);
  console.log(`  plans: runtimes through runtimes_due, jobs through their partial unique indexes, no SCAN, no sort: ${onlyIndexes ? "yes" : "NO"}`);
  console.log(`  => ${fast && onlyIndexes ? "MET" : "NOT MET"}`);

  database.close();
  if (args.keep) console.log(`kept ${path}`);
  else rmSync(dir, { recursive: true, force: true });
  process.exitCode = fast && onlyIndexes ? 0 : 1;
}

await main();
