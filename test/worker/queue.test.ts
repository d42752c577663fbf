/**
 * The real Worker (wrangler.toml, worker/index.ts) under `wrangler dev`, used as a user uses it: bundles imported
 * through `POST /api/import`, crawls and checks asked for through the API (`POST /api/sources/:id/crawl`,
 * `POST /api/items/:id/check`) or started by the Cron Trigger (`/__scheduled`), jobs followed through
 * `GET /api/jobs/:id` and items read through `GET /api/items`. The queue consumer runs the work page by page as
 * messages within each invocation's subrequest budget, on the Hrana test server standing in for Turso and
 * wrangler's local R2 and Queues.
 *
 * What a user cannot do or see is reached around the API, and only that: the counts each invocation recorded
 * (`worker_invocations`, read from the database file), the objects in R2 and a message delivered twice (the
 * test-only `/__test/*` routes, DSCRAPER_TEST_HOOKS), and an item's check made due now (a runtime moved back).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { useWorker } from "../support/worker.ts";
import { html, type Hit } from "../support/site.ts";
import { workerApi } from "./support/api.ts";
import { query, remote, waitFor, type Row } from "./support/db.ts";
import { quoteText, quotesBundle, startQuotesSite, type QuotesSite } from "./support/quotes.ts";

const BUDGET = 40;
const TOKEN = "queue-test-token";
const sites: QuotesSite[] = [];
afterAll(async () => {
  for (const site of sites) await site.close();
});
const worker = useWorker({
  database: {},
  vars: {
    DSCRAPER_API_TOKEN: TOKEN,
    DSCRAPER_DELAY_MS: "0",
    DSCRAPER_PER_HOST: "2",
    DSCRAPER_TEST_HOOKS: "true",
    DSCRAPER_SUBREQUEST_BUDGET: String(BUDGET),
    // Originals and a thumbnail each: photon's workerd build at work.
    DSCRAPER_IMAGES_FORMAT: "ALL",
    DSCRAPER_THUMBS: "small=8x8",
  },
  // Two retries, so that a page that keeps failing reaches the dead-letter queue after three attempts.
  configure: (config) => {
    const consumers = (config.queues as { consumers: { queue: string; max_retries?: number }[] }).consumers;
    consumers.find((c) => c.queue === "dscraper-jobs")!.max_retries = 2;
  },
});
const api = workerApi(() => worker.current, TOKEN);

const ROBOTS = { "/robots.txt": { body: "User-agent: *\nDisallow: /private/\n", type: "text/plain" } };

async function site(pages: number, perPage: number, authors: number, extra = {}): Promise<QuotesSite> {
  const s = await startQuotesSite(pages, perPage, authors, { ...ROBOTS, ...extra });
  sites.push(s);
  return s;
}

const db = () => worker.current.database!;

/** The stored items of a source (through the API), by text; each text once. */
async function itemsOf(source: string): Promise<Map<string, { id: number; data: Record<string, unknown>; images: string[] }>> {
  const byText = new Map<string, { id: number; data: Record<string, unknown>; images: string[] }>();
  for (const item of await api.items(source)) {
    const text = String(item.data.text);
    if (byText.has(text)) throw new Error(`item ${text} is stored twice`);
    byText.set(text, item);
  }
  return byText;
}

/** What each invocation that worked for the job recorded it spent. */
function invocationsOf(jobId: number): Row[] {
  return query(db().dbPath, "SELECT * FROM worker_invocations w WHERE EXISTS (SELECT 1 FROM json_each(w.jobs) j WHERE j.value = ?) ORDER BY id", jobId);
}

async function images(): Promise<{ key: string; size: number; etag: string; uploaded: string }[]> {
  const response = await worker.current.fetch("/__test/images");
  return ((await response.json()) as { objects: { key: string; size: number; etag: string; uploaded: string }[] }).objects;
}

/** Puts these bodies on the jobs queue as they are (a message delivered again, or one that is not dscraper's). */
async function send(messages: unknown[]): Promise<void> {
  const response = await worker.current.fetch("/__test/send", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages }) });
  expect(response.status).toBe(200);
}

/** Runs the every-minute cron and returns the jobs it queued (as `GET /api/jobs` lists them). */
async function tick(): Promise<number[]> {
  const ids = async () => new Set(((await api.call<{ jobs: { id: number }[] }>("GET", "/api/jobs?per_page=500")).body.jobs ?? []).map((j) => j.id));
  const before = await ids();
  const response = await worker.current.scheduled("* * * * *");
  expect(response.status).toBe(200);
  return [...(await ids())].filter((id) => !before.has(id)).sort((a, b) => a - b);
}

describe("the Worker driven through its API", () => {
  test("a crawl five times larger than an invocation's budget: every item once, the job succeeded, every invocation within its budget, images in R2", async () => {
    const s = await site(16, 5, 12);
    await api.import(quotesBundle(s.url, "big", s.pages, { status: "MANUAL" }));
    const queued = await api.crawl("big");
    expect(queued).toMatchObject({ kind: "crawl", status: "queued", source: "big", update_schedule: false });
    const job = await api.jobEnded(queued.id);
    expect(job.status).toBe("succeeded");
    expect(job.stats).toMatchObject({
      pages: { main: 16, detail: 12, failed: 0, follow: 0, not_modified: 0 },
      items_read: 80,
      errors: {},
      items: { valid: 80, saved: 80, updated: 0, unchanged: 0, dropped: {} },
    });
    expect(job.failed_pages).toBeUndefined();

    const items = await itemsOf("big");
    expect([...items.keys()].sort()).toEqual([...s.expected.keys()].sort());
    for (const [text, author] of s.expected) expect(items.get(text)!.data).toMatchObject({ author, born: `born ${1900 + Number(author.split(" ")[1])}` });

    const spent = invocationsOf(queued.id);
    const total = spent.reduce((n, r) => n + Number(r.subrequests), 0);
    expect(total).toBeGreaterThanOrEqual(5 * BUDGET);
    expect(spent.length).toBeGreaterThanOrEqual(5);
    for (const r of spent) {
      expect(Number(r.subrequests)).toBeLessThanOrEqual(BUDGET);
      expect(Number(r.subrequests)).toBe(Number(r.fetches) + Number(r.database) + Number(r.storage) + Number(r.queue));
    }
    // Every page was fetched once (robots.txt once per isolate at most, the photos once each).
    for (let p = 1; p <= s.pages; p++) expect(s.count(`/quotes/page/${p}/`)).toBe(1);
    for (let a = 0; a < s.authors; a++) expect(s.count(`/img/Author-${a}.png`)).toBe(1);

    // The photos are in R2 (the original and a thumbnail each), and each item names its author's.
    const stored = new Set((await images()).map((o) => o.key));
    const photos = new Set([...items.values()].map((i) => String(i.data.photo)));
    expect(photos.size).toBe(12);
    for (const photo of photos) expect([stored.has(`full/${photo}`), stored.has(`thumbs/small/${photo}`)]).toEqual([true, true]);
    for (const item of items.values()) expect(item.images.sort()).toEqual([`full/${String(item.data.photo)}`, `thumbs/small/${String(item.data.photo)}`]);
    // The run's own rows are gone; a crawl asked for by hand leaves the source's schedule alone.
    expect(query(db().dbPath, "SELECT count(*) AS n FROM crawl_steps WHERE job_id = ?", queued.id)[0]!.n).toBe(0);
  }, 300_000);

  test("the cron queues due sources and item checks and moves their runtimes; a checker deletes a vanished item and its photo; a check asked for over the API is one message", async () => {
    const s = await site(1, 2, 2);
    await api.import(quotesBundle(s.url, "checked", s.pages, { className: "Checked", checker: true }));
    const due = await api.source("checked");
    expect(Date.parse(due.runtime!.next_action_time)).toBeLessThanOrEqual(Date.now());
    const [crawl] = await tick();
    expect(await api.job(crawl!)).toMatchObject({ kind: "crawl", source: "checked", update_schedule: true });
    expect((await api.jobEnded(crawl!)).status).toBe("succeeded");
    // The job ends first, then its runtime moves (the binary's runner keeps that order too).
    await waitFor("the source's runtime to move", async () => (Date.parse((await api.source("checked")).runtime!.next_action_time) > Date.now() ? true : undefined));

    const stored = await itemsOf("checked");
    const gone = stored.get(quoteText(1, 0))!;
    const kept = stored.get(quoteText(1, 1))!;
    expect(gone.data.photo).not.toBe(kept.data.photo);

    // A check asked for by hand: one queue message runs it whole (one invocation worked for the job).
    const asked = await api.check(kept.id);
    expect(asked).toMatchObject({ kind: "check", status: "queued", item_id: kept.id, update_schedule: false });
    expect(await api.jobEnded(asked.id)).toMatchObject({ status: "succeeded", stats: { action: "kept" } });
    const [ran] = await waitFor("the check's invocation record", () => (invocationsOf(asked.id).length ? invocationsOf(asked.id) : undefined));
    expect(invocationsOf(asked.id)).toHaveLength(1);
    expect(Number(ran!.carried)).toBe(0);

    const [before] = query(db().dbPath, "SELECT next_action_time FROM scheduler_runtimes WHERE item_id = ?", kept.id);
    // The first quote's author page now says "Gone"; both items' checks come due (their runtimes moved back).
    s.set("/author/Author-0/", html("<h1>Gone</h1>"));
    const database = await remote(db().url);
    try {
      await database.client.execute({ sql: "UPDATE scheduler_runtimes SET next_action_time = 0 WHERE item_id IN (?, ?)", args: [gone.id, kept.id] });
    } finally {
      database.close();
    }
    const checks = await tick();
    expect(checks).toHaveLength(2);
    const ended = await Promise.all(checks.map((id) => api.jobEnded(id)));
    // (The deleted item's job keeps no item id: the item is gone.)
    const outcomes = ended.map((j) => [j.item_id, j.status, (j.stats as { action: string }).action]);
    expect(outcomes.sort((a, b) => String(a[2]).localeCompare(String(b[2])))).toEqual([
      [null, "succeeded", "deleted"],
      [kept.id, "succeeded", "kept"],
    ]);

    expect([...(await itemsOf("checked")).values()].map((i) => i.id)).toEqual([kept.id]);
    expect((await api.call("GET", `/api/items/${gone.id}`)).status).toBe(404);
    const keys = new Set((await images()).map((o) => o.key));
    expect([keys.has(`full/${String(gone.data.photo)}`), keys.has(`thumbs/small/${String(gone.data.photo)}`)]).toEqual([false, false]);
    expect([keys.has(`full/${String(kept.data.photo)}`), keys.has(`thumbs/small/${String(kept.data.photo)}`)]).toEqual([true, true]);
    // The kept item's scheduled check moved its runtime on; the deleted item's went with it.
    const after = await waitFor("the kept item's runtime to move", () => {
      const [row] = query(db().dbPath, "SELECT next_action_time FROM scheduler_runtimes WHERE item_id = ?", kept.id);
      return Number(row!.next_action_time) !== 0 ? Number(row!.next_action_time) : undefined;
    });
    expect(after).toBeGreaterThan(Number(before!.next_action_time));
    expect(query(db().dbPath, "SELECT count(*) AS n FROM scheduler_runtimes WHERE item_id = ?", gone.id)[0]!.n).toBe(0);
  }, 300_000);

  test("every message delivered twice: the same items, stats and photos as a crawl delivered once", async () => {
    const once = await site(6, 4, 5);
    const twice = await site(6, 4, 5);
    await api.import(quotesBundle(once.url, "once", once.pages, { status: "MANUAL", className: "Once" }));
    await api.import(quotesBundle(twice.url, "twice", twice.pages, { status: "MANUAL", className: "Twice" }));
    const one = await api.jobEnded((await api.crawl("once")).id);

    // The job's message a second time, at once: its second delivery sends the main pages again, so every step is
    // delivered (at least) twice too, while the first copies run.
    const firstStep = Number(query(db().dbPath, "SELECT coalesce(max(id), 0) AS n FROM crawl_steps")[0]!.n) + 1;
    const doubled = (await api.crawl("twice")).id;
    await send([{ type: "job", job: doubled }]);
    const two = await api.jobEnded(doubled);
    expect(two.status).toBe("succeeded");
    expect(two.stats).toEqual(one.stats);
    const strip = (items: Map<string, { data: Record<string, unknown> }>) =>
      [...items.values()].map(({ data: { text, author, born } }) => ({ text, author, born })).sort((a, b) => String(a.text).localeCompare(String(b.text)));
    expect(strip(await itemsOf("twice"))).toEqual(strip(await itemsOf("once")));
    expect((await itemsOf("twice")).size).toBe(24);
    for (let a = 0; a < 5; a++) expect(twice.count(`/img/Author-${a}.png`)).toBe(1);

    // And once more after the end: every message of the run again changes nothing, in the database or in R2.
    const lastStep = Number(query(db().dbPath, "SELECT seq FROM sqlite_sequence WHERE name = 'crawl_steps'")[0]!.seq);
    const photos = await images();
    const items = await api.items("twice");
    const hits = twice.hits.length;
    const again = [{ type: "job", job: doubled }, ...Array.from({ length: lastStep - firstStep + 1 }, (_, i) => ({ type: "step", job: doubled, step: firstStep + i }))];
    const handled = () => Number(query(db().dbPath, "SELECT coalesce(sum(messages), 0) AS n FROM worker_invocations")[0]!.n);
    const before = handled();
    await send(again);
    await waitFor("the repeated messages to be handled", () => (handled() >= before + again.length ? true : undefined));
    expect(await api.job(doubled)).toEqual(two);
    expect(await api.items("twice")).toEqual(items);
    expect(await images()).toEqual(photos);
    expect(twice.hits.length).toBe(hits);
  }, 300_000);

  test("a message that is not dscraper's is dropped, saying why", async () => {
    await send([{ type: "crawl-everything", job: "all" }]);
    const [line] = await worker.current.waitForOutput(/\{[^\n]*is not a dscraper message[^\n]*\}/);
    expect(JSON.parse(line)).toMatchObject({ level: "ERROR", queue: "dscraper-jobs" });
    expect(JSON.parse(line).msg).toContain("dropped: type: Invalid discriminator value. Expected 'job' | 'step' | 'send' | 'finish'");
  }, 120_000);

  test("a page that keeps failing ends in the dead-letter queue and shows on its job; Retry-After is honoured", async () => {
    const attempts: Hit[] = [];
    const s = await site(3, 2, 2, {
      "/quotes/page/2/": (_request: Request, hit: Hit) => {
        attempts.push(hit);
        return new Response("busy", { status: 503, headers: { "retry-after": "2", "content-type": "text/plain" } });
      },
    });
    await api.import(quotesBundle(s.url, "flaky", s.pages, { status: "MANUAL", className: "Flaky", photo: false }));
    const job = await api.jobEnded((await api.crawl("flaky")).id);
    // The other pages were read: the job succeeded, with its failed page counted and listed, with its error.
    expect(job.status).toBe("succeeded");
    expect(job.stats).toMatchObject({ pages: { main: 2, failed: 1 }, errors: { http_503: 1 }, items: { saved: 4 } });
    const url = `${s.url}/quotes/page/2/`;
    expect(job.failed_pages).toEqual([{ kind: "MP", url, error: `http_503: main page ${url}: HTTP 503`, attempts: 3 }]);
    expect(attempts).toHaveLength(3);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(2000);
    const logs = await api.call<{ logs: { level: string; message: string }[] }>("GET", `/api/logs?job=${job.id}`);
    expect(logs.body.logs).toContainEqual(
      expect.objectContaining({ level: "ERROR", message: `main page ${url} failed for good after 3 attempt(s): http_503: main page ${url}: HTTP 503` }),
    );
  }, 300_000);
});
