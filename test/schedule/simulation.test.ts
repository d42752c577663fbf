/**
 * The scheduler's "little bit of magic", proven over four simulated weeks: the core's tick() (the one `dscraper
 * tick` and `serve` call) driven by a fake clock, against a test site whose pages change as simulated time passes,
 * with real crawls and real checks through the real fetcher and a real database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { jobs, scheduler_runtimes } from "../../src/db/schema.ts";
import { runCheckJob } from "../../src/jobs/check-job.ts";
import { runQueuedJob, type RunnerDeps } from "../../src/jobs/runner.ts";
import { checkJobStats } from "../../src/model/job-stats.ts";
import type { Clock, JobQueue } from "../../src/ports.ts";
import { tick } from "../../src/jobs/tick.ts";
import { importBundle } from "../../src/bundle/import.ts";
import { TEST_FETCH } from "../support/crawl.ts";
import { html } from "../support/site.ts";
import { tempDatabase } from "../support/temp.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-01-05T00:00:00Z");
const WEEKS = 4;
const STEP = 15 * MINUTE;

let now = T0;
const clock: Clock = { now: () => new Date(now) };

// Source "busy": a new post every 6 hours; the front page shows the newest ten. Every 5th post vanishes (404)
// three days after it appeared.
const NEW_POST_EVERY = 6 * HOUR;
const postsSoFar = () => 3 + Math.floor((now - T0) / NEW_POST_EVERY);
const bornAt = (k: number) => T0 + Math.max(0, k - 3) * NEW_POST_EVERY;
const vanishes = (k: number) => k % 5 === 0;
const vanishedAt = (k: number) => bornAt(k) + 3 * DAY;
// Source "articles": three articles; article 2 turns into a "does not exist" page (200) after two days.
const ARTICLE_GONE_AT = T0 + 2 * DAY;

function page(body: string): Response {
  return new Response(html(body), { headers: { "content-type": "text/html; charset=utf-8" } });
}

const list = (prefix: string, keys: number[], title: string) =>
  page(keys.map((k) => `<div class="post"><h2>${title} ${k}</h2><a href="/${prefix}/${k}">read</a></div>`).join(""));

/** Pages a test takes down by hand. */
const takenDown = new Set<string>();

/** The site as it is at the simulated time `now`. */
function respond(path: string): Response {
  if (takenDown.has(path)) return new Response("not found", { status: 404 });
  if (path === "/busy/list") {
    const n = postsSoFar();
    return list("busy/post", Array.from({ length: Math.min(10, n) }, (_, i) => n - i), "Post");
  }
  if (path === "/static/list") return list("static/post", [1, 2, 3, 4, 5], "Static");
  if (path === "/articles/list") return list("articles/a", [1, 2, 3], "Article");
  let m = /^\/busy\/post\/(\d+)$/.exec(path);
  if (m) {
    const k = Number(m[1]);
    if (k > postsSoFar() || (vanishes(k) && now >= vanishedAt(k))) return new Response("not found", { status: 404 });
    return page(`<p class="body">Body of post ${k}</p>`);
  }
  m = /^\/static\/post\/(\d+)$/.exec(path);
  if (m) return page(`<p class="body">Static body ${m[1]}</p>`);
  m = /^\/articles\/a\/(\d+)$/.exec(path);
  if (m) {
    return Number(m[1]) === 2 && now >= ARTICLE_GONE_AT
      ? page(`<div class="missing">This article does not exist</div>`)
      : page(`<p class="body">Article body ${m[1]}</p>`);
  }
  return new Response("not found", { status: 404 });
}

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => respond(new URL(request.url).pathname) });
afterAll(() => server.stop(true));
const BASE = `http://127.0.0.1:${server.port}`;

function bundle() {
  const attrs = [
    { name: "base", attr_type: "B" },
    { name: "title", attr_type: "S" },
    { name: "url", attr_type: "U", id_field: true },
    { name: "body", attr_type: "S" },
  ] as const;
  const elems = [
    { attr: "base", x_path: "//div[@class='post']" },
    { attr: "title", x_path: "h2/text()" },
    { attr: "url", x_path: "a/@href" },
    { attr: "body", x_path: "//p[@class='body']/text()", page_type: "DP1" },
  ];
  const pageTypes = [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }];
  return {
    classes: [
      { name: "Post", attrs: [...attrs] },
      { name: "Article", attrs: [...attrs] },
    ],
    scrapers: [
      { name: "posts", class: "Post", status: "ACTIVE", page_types: pageTypes, elems, checkers: [{ attr: "url", checker_type: "404" }] },
      {
        name: "articles",
        class: "Article",
        status: "ACTIVE",
        page_types: pageTypes,
        elems,
        checkers: [{ attr: "url", checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='missing']" }],
      },
    ],
    sources: [
      { name: "busy", url: `${BASE}/busy/list`, scraper: "posts" },
      { name: "static", url: `${BASE}/static/list`, scraper: "posts" },
      { name: "articles", url: `${BASE}/articles/list`, scraper: "articles" },
    ],
  };
}

interface Run {
  at: number;
  kind: "crawl" | "check";
  source?: string;
  item?: string;
  status: string;
  stats: Record<string, unknown>;
  /** The runtime after the run (minutes until the next one). */
  delay?: number;
  factor?: number | null;
  zeros?: number;
}

let database: Awaited<ReturnType<typeof tempDatabase>>;
let deps: RunnerDeps;
const runs: Run[] = [];
/** Items' titles by id, remembered when first seen (deleted items disappear from the table). */
const titles = new Map<number, string>();

async function runtimeOf(owner: { source_id: number } | { item_id: number }) {
  const where = "source_id" in owner ? eq(scheduler_runtimes.source_id, owner.source_id) : eq(scheduler_runtimes.item_id, owner.item_id);
  return (await database.db.select().from(scheduler_runtimes).where(where))[0];
}

beforeAll(async () => {
  database = await tempDatabase();
  // Imported at the simulated start: a new source's first run is due "now".
  await importBundle(database, bundle(), clock);
  deps = {
    database,
    fetcher: new Fetcher(TEST_FETCH),
    clock,
    env: { timeZone: "UTC", now: () => new Date(now) },
    log: { level: "ERROR", limit: 250, sink: () => {} },
    conditionalRequests: false,
  };
  const sourceNames = new Map((await database.client.execute("SELECT id, name FROM sources")).rows.map((r) => [Number(r.id), String(r.name)]));
  const queued: number[] = [];
  const queue: JobQueue = { enqueue: async (id) => void queued.push(id) };
  for (; now <= T0 + WEEKS * 7 * DAY; now += STEP) {
    await tick(database, queue, clock);
    for (const id of queued.splice(0)) {
      const [job] = await database.db.select().from(jobs).where(eq(jobs.id, id));
      if (job!.kind === "check") {
        const item = (await database.client.execute({ sql: "SELECT json_extract(data, '$.title') AS t FROM items WHERE id = ?", args: [job!.item_id] })).rows[0];
        if (item) titles.set(job!.item_id!, String(item.t));
      }
      const done = (await runQueuedJob(deps, id, new AbortController().signal))!;
      const runtime = done.kind === "crawl" ? await runtimeOf({ source_id: done.source_id! }) : done.item_id !== null ? await runtimeOf({ item_id: done.item_id }) : undefined;
      runs.push({
        at: now,
        kind: done.kind,
        ...(done.kind === "crawl" ? { source: sourceNames.get(done.source_id!) } : { item: titles.get(job!.item_id!) }),
        status: done.status,
        stats: done.stats,
        ...(runtime ? { delay: Math.round((runtime.next_action_time.getTime() - now) / MINUTE), factor: runtime.next_action_factor, zeros: runtime.num_zero_actions } : {}),
      });
    }
  }
}, 240_000);

const crawlsOf = (source: string) => runs.filter((r) => r.kind === "crawl" && r.source === source);
const checksOf = (title: string) => runs.filter((r) => r.kind === "check" && r.item === title);

describe(`${WEEKS} simulated weeks of scheduling`, () => {
  test("every scheduled run succeeded", () => {
    expect(runs.filter((r) => r.status !== "succeeded")).toEqual([]);
    expect(crawlsOf("busy").length).toBeGreaterThan(100);
  });

  test("a source gaining posts every few hours ends with a shorter interval than one that never changes", () => {
    const busy = crawlsOf("busy").at(-1)!;
    const still = crawlsOf("static").at(-1)!;
    expect(busy.delay!).toBeLessThan(still.delay!);
    expect(busy.delay!).toBeLessThanOrEqual(60);
    expect(still.delay!).toBeGreaterThan(300);
  });

  test("the never-changing source's interval only grows, one step per 20 empty runs (the defaults)", () => {
    const still = crawlsOf("static");
    expect(still[0]!.stats).toMatchObject({ items: { saved: 5 } });
    expect(still[0]!.delay).toBe(115); // the first run saved: 15 × 10 / 1.3
    const delays = still.map((r) => r.delay!);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    const steps = delays.flatMap((d, i) => (i > 0 && d > delays[i - 1]! ? [i] : []));
    expect(steps.length).toBeGreaterThanOrEqual(3);
    // The first empty run is still[1]; the interval grows at empty runs 20, 40, 60…
    expect(steps).toEqual(steps.map((_, j) => 20 * (j + 1)));
    expect(still.slice(1).every((r) => (r.stats as { items: { saved: number } }).items.saved === 0)).toBe(true);
  });

  test("posts that vanish are deleted by their checker after the second 404, and not before", async () => {
    const gone = [...titles.values()].filter((t) => t.startsWith("Post ") && vanishes(Number(t.slice(5))));
    expect(gone.length).toBeGreaterThanOrEqual(10);
    for (const title of gone) {
      const k = Number(title.slice(5));
      const checks = checksOf(title);
      const notFound = checks.filter((c) => (c.stats as { checks: { outcome: string }[] }).checks[0]!.outcome === "not_found");
      if (vanishedAt(k) > T0 + WEEKS * 7 * DAY - 2 * DAY) continue; // too late to be checked twice
      // exactly two 404s: the first counted, the second deleting; nothing after
      expect(notFound.map((c) => (c.stats as { action: string }).action)).toEqual(["kept", "deleted"]);
      expect(checks.at(-1)!.stats).toMatchObject({ action: "deleted" });
      const first = notFound[0]!;
      expect(first.at).toBeGreaterThanOrEqual(vanishedAt(k));
      expect(checks.filter((c) => c.at < vanishedAt(k)).every((c) => (c.stats as { action: string }).action === "kept")).toBe(true);
    }
  });

  test("items still on the site are never deleted", async () => {
    const deleted = runs.filter((r) => r.kind === "check" && (r.stats as { action: string }).action === "deleted").map((r) => r.item!);
    for (const title of deleted) {
      if (title.startsWith("Post ")) expect(vanishes(Number(title.slice(5)))).toBe(true);
      else expect(title).toBe("Article 2");
    }
    const left = (await database.client.execute("SELECT json_extract(data, '$.title') AS t FROM items")).rows.map((r) => String(r.t));
    for (const k of [1, 2, 3, 4, 5]) expect(left).toContain(`Static ${k}`);
    expect(left).toContain("Article 1");
    expect(left).toContain("Article 3");
  });

  test("an XPath checker deletes at once on the 'does not exist' page", () => {
    const checks = checksOf("Article 2");
    const deleting = checks.filter((c) => (c.stats as { action: string }).action === "deleted");
    expect(deleting).toHaveLength(1);
    expect((deleting[0]!.stats as { checks: { outcome: string }[] }).checks[0]!.outcome).toBe("gone");
    // the first check after the page changed
    expect(checks.filter((c) => c.at >= ARTICLE_GONE_AT)).toHaveLength(1);
    expect(checks.filter((c) => c.at < ARTICLE_GONE_AT).every((c) => (c.stats as { action: string }).action === "kept")).toBe(true);
  });

  test("a manual check counts a 404 without moving the runtime", async () => {
    const row = (await database.client.execute("SELECT id, json_extract(data, '$.title') AS t FROM items WHERE json_extract(data, '$.title') LIKE 'Static %' LIMIT 1")).rows[0]!;
    const itemId = Number(row.id);
    const before = (await runtimeOf({ item_id: itemId }))!;
    expect(before.num_404).toBe(0);
    takenDown.add(String(row.t).replace("Static ", "/static/post/"));
    const job = await runCheckJob(deps, itemId, { dryRun: false, scheduled: false, updateSchedule: false }, new AbortController().signal);
    const stats = checkJobStats(job.stats)!;
    expect(stats.checks[0]!.outcome).toBe("not_found");
    expect(stats.action).toBe("kept");
    const after = (await runtimeOf({ item_id: itemId }))!;
    expect(after.num_404).toBe(1);
    expect({ ...after, num_404: 0 }).toEqual(before);
  });
});
