/**
 * The real Worker (wrangler.toml, worker/index.ts) crawling under `wrangler dev`: its Cron Trigger queues due work,
 * its queue consumer runs crawls page by page as messages within each invocation's subrequest budget, on the
 * Hrana test server standing in for Turso and wrangler's local R2 and Queues. The tests read the database file
 * behind the Hrana server directly; crawls start as the scheduler starts them (a due source and `/__scheduled`),
 * or, for a job queued by hand, through the Worker's test-only `/__test/send` (DSCRAPER_TEST_HOOKS), which also
 * delivers a message twice.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { failedPages } from "../../src/db/runs.ts";
import { insertJob } from "../../src/db/jobs.ts";
import { useWorker } from "../support/worker.ts";
import { html, type Hit } from "../support/site.ts";
import { importInto, jobEnded, jobs, query, remote, waitFor, type Row } from "./support/db.ts";
import { quoteText, quotesBundle, startQuotesSite, type QuotesSite } from "./support/quotes.ts";

const BUDGET = 40;
const sites: QuotesSite[] = [];
afterAll(async () => {
  for (const site of sites) await site.close();
});
const worker = useWorker({
  database: {},
  vars: {
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

const ROBOTS = { "/robots.txt": { body: "User-agent: *\nDisallow: /private/\n", type: "text/plain" } };

async function site(pages: number, perPage: number, authors: number, extra = {}): Promise<QuotesSite> {
  const s = await startQuotesSite(pages, perPage, authors, { ...ROBOTS, ...extra });
  sites.push(s);
  return s;
}

const db = () => worker.current.database!;

/** The stored items of a source, by text. */
function itemsOf(source: string): Map<string, Record<string, unknown>> {
  const rows = query(db().dbPath, "SELECT i.data FROM items i JOIN sources s ON s.id = i.source_id WHERE s.name = ? ORDER BY i.id", source);
  const byText = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const data = JSON.parse(String(row.data)) as Record<string, unknown>;
    if (byText.has(String(data.text))) throw new Error(`item ${String(data.text)} is stored twice`);
    byText.set(String(data.text), data);
  }
  return byText;
}

function invocationsOf(jobId: number): Row[] {
  return query(db().dbPath, "SELECT * FROM worker_invocations w WHERE EXISTS (SELECT 1 FROM json_each(w.jobs) j WHERE j.value = ?) ORDER BY id", jobId);
}

async function images(): Promise<{ key: string; size: number; etag: string; uploaded: string }[]> {
  const response = await worker.current.fetch("/__test/images");
  return ((await response.json()) as { objects: { key: string; size: number; etag: string; uploaded: string }[] }).objects;
}

async function send(messages: unknown[]): Promise<void> {
  const response = await worker.current.fetch("/__test/send", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages }) });
  expect(response.status).toBe(200);
}

/** Queues a crawl job of `source` by hand (as the API will) and returns its id. */
async function queueCrawl(source: string): Promise<number> {
  const database = await remote(db().url);
  try {
    const [row] = query(db().dbPath, "SELECT id FROM sources WHERE name = ?", source);
    return (await insertJob(database, { kind: "crawl", source_id: Number(row!.id), params: { dry_run: false } }, new Date())).id;
  } finally {
    database.close();
  }
}

/** Runs the every-minute cron and returns the jobs it queued. */
async function tick(): Promise<number[]> {
  const before = new Set(jobs(db().dbPath).map((j) => j.id));
  const response = await worker.current.scheduled("* * * * *");
  expect(response.status).toBe(200);
  return jobs(db().dbPath).filter((j) => !before.has(j.id)).map((j) => j.id);
}

describe("the Worker's queue driver under wrangler dev", () => {
  test("a crawl five times larger than an invocation's budget: every item once, the job succeeded, every invocation within its budget, images in R2", async () => {
    const s = await site(16, 5, 12);
    await importInto(db().url, quotesBundle(s.url, "big", s.pages));
    // Migrations are the deploy's (`dscraper migrate`); importing through the server ran them here.
    const [jobId] = await tick();
    const job = await jobEnded(db().dbPath, jobId!);
    expect(job.status).toBe("succeeded");
    expect(job.stats).toMatchObject({
      pages: { main: 16, detail: 12, failed: 0, follow: 0, not_modified: 0 },
      items_read: 80,
      errors: {},
      items: { valid: 80, saved: 80, updated: 0, unchanged: 0, dropped: {} },
    });

    const items = itemsOf("big");
    expect([...items.keys()].sort()).toEqual([...s.expected.keys()].sort());
    for (const [text, author] of s.expected) expect(items.get(text)).toMatchObject({ author, born: `born ${1900 + Number(author.split(" ")[1])}` });

    const spent = invocationsOf(jobId!);
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
    const photos = new Set([...items.values()].map((i) => String(i.photo)));
    expect(photos.size).toBe(12);
    for (const photo of photos) expect([stored.has(`full/${photo}`), stored.has(`thumbs/small/${photo}`)]).toEqual([true, true]);
    // The run's own rows are gone; the source's runtime moved past now.
    expect(query(db().dbPath, "SELECT count(*) AS n FROM crawl_steps WHERE job_id = ?", jobId)[0]!.n).toBe(0);
    // (The job ends first, then its runtime moves: the same order as the binary's runner.)
    const moved = await waitFor("the source's runtime to move", () => {
      const [runtime] = query(db().dbPath, "SELECT r.next_action_time FROM scheduler_runtimes r JOIN sources s ON s.id = r.source_id WHERE s.name = 'big'");
      return Number(runtime!.next_action_time) > Date.now() ? Number(runtime!.next_action_time) : undefined;
    });
    expect(moved).toBeGreaterThan(Date.now());
  }, 300_000);

  test("the cron queues due sources and item checks; a checker deletes a vanished item and its photo", async () => {
    const s = await site(1, 2, 2);
    await importInto(db().url, quotesBundle(s.url, "checked", s.pages, { className: "Checked", checker: true }));
    const [crawl] = await tick();
    expect((await jobEnded(db().dbPath, crawl!)).status).toBe("succeeded");
    const stored = query(db().dbPath, "SELECT i.id, i.data FROM items i JOIN sources s ON s.id = i.source_id WHERE s.name = 'checked'").map((r) => {
      const data = JSON.parse(String(r.data)) as { text: string; photo: string };
      return { id: Number(r.id), text: data.text, photo: data.photo };
    });
    const gone = stored.find((i) => i.text === quoteText(1, 0));
    const kept = stored.find((i) => i.text === quoteText(1, 1));
    expect(gone!.photo).not.toBe(kept!.photo);
    const [before] = query(db().dbPath, "SELECT next_action_time FROM scheduler_runtimes WHERE item_id = ?", kept!.id);

    // The first quote's author page now says "Gone"; both items' checks come due.
    s.set("/author/Author-0/", html("<h1>Gone</h1>"));
    const database = await remote(db().url);
    try {
      await database.client.execute({ sql: "UPDATE scheduler_runtimes SET next_action_time = 0 WHERE item_id IN (?, ?)", args: [gone!.id, kept!.id] });
    } finally {
      database.close();
    }
    const checks = await tick();
    expect(checks).toHaveLength(2);
    for (const id of checks) expect((await jobEnded(db().dbPath, id)).status).toBe("succeeded");
    const actions = jobs(db().dbPath).filter((j) => checks.includes(j.id)).map((j) => (j.stats as { action: string }).action);
    expect(actions.sort()).toEqual(["deleted", "kept"]);

    expect(query(db().dbPath, "SELECT id FROM items WHERE id IN (?, ?)", gone!.id, kept!.id).map((r) => Number(r.id))).toEqual([kept!.id]);
    const keys = new Set((await images()).map((o) => o.key));
    expect([keys.has(`full/${gone!.photo}`), keys.has(`thumbs/small/${gone!.photo}`)]).toEqual([false, false]);
    expect([keys.has(`full/${kept!.photo}`), keys.has(`thumbs/small/${kept!.photo}`)]).toEqual([true, true]);
    // The kept item's check moved its runtime on; the deleted item's went with it.
    const after = await waitFor("the kept item's runtime to move", () => {
      const [row] = query(db().dbPath, "SELECT next_action_time FROM scheduler_runtimes WHERE item_id = ?", kept!.id);
      return Number(row!.next_action_time) !== 0 ? Number(row!.next_action_time) : undefined;
    });
    expect(after).toBeGreaterThan(Number(before!.next_action_time));
    expect(query(db().dbPath, "SELECT count(*) AS n FROM scheduler_runtimes WHERE item_id = ?", gone!.id)[0]!.n).toBe(0);
  }, 300_000);

  test("every message delivered twice: the same items, stats and photos as a crawl delivered once", async () => {
    const once = await site(6, 4, 5);
    const twice = await site(6, 4, 5);
    await importInto(db().url, quotesBundle(once.url, "once", once.pages, { status: "MANUAL", className: "Once" }));
    await importInto(db().url, quotesBundle(twice.url, "twice", twice.pages, { status: "MANUAL", className: "Twice" }));
    const reference = await queueCrawl("once");
    await send([{ type: "job", job: reference }]);
    const one = await jobEnded(db().dbPath, reference);

    // The job's message twice: its second delivery sends the main pages again, so every step is delivered (at
    // least) twice too, while the first copies run.
    const firstStep = Number(query(db().dbPath, "SELECT coalesce(max(id), 0) AS n FROM crawl_steps")[0]!.n) + 1;
    const doubled = await queueCrawl("twice");
    await send([{ type: "job", job: doubled }, { type: "job", job: doubled }]);
    const two = await jobEnded(db().dbPath, doubled);
    expect(two.status).toBe("succeeded");
    expect(two.stats).toEqual(one.stats);
    const strip = (items: Map<string, Record<string, unknown>>) => [...items.values()].map(({ text, author, born }) => ({ text, author, born })).sort((a, b) => String(a.text).localeCompare(String(b.text)));
    expect(strip(itemsOf("twice"))).toEqual(strip(itemsOf("once")));
    expect(itemsOf("twice").size).toBe(24);
    for (let a = 0; a < 5; a++) expect(twice.count(`/img/Author-${a}.png`)).toBe(1);

    // And once more after the end: every message of the run again changes nothing, in the database or in R2.
    const lastStep = Number(query(db().dbPath, "SELECT seq FROM sqlite_sequence WHERE name = 'crawl_steps'")[0]!.seq);
    const photos = await images();
    const hits = twice.hits.length;
    const again = [{ type: "job", job: doubled }, ...Array.from({ length: lastStep - firstStep + 1 }, (_, i) => ({ type: "step", job: doubled, step: firstStep + i }))];
    const handled = () => Number(query(db().dbPath, "SELECT coalesce(sum(messages), 0) AS n FROM worker_invocations")[0]!.n);
    const before = handled();
    await send(again);
    await waitFor("the repeated messages to be handled", () => (handled() >= before + again.length ? true : undefined));
    expect(jobs(db().dbPath).find((j) => j.id === doubled)).toEqual(two);
    expect(itemsOf("twice").size).toBe(24);
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
    await importInto(db().url, quotesBundle(s.url, "flaky", s.pages, { status: "MANUAL", className: "Flaky", photo: false }));
    const jobId = await queueCrawl("flaky");
    await send([{ type: "job", job: jobId }]);
    const job = await jobEnded(db().dbPath, jobId);
    // The other pages were read: the job succeeded, with its failed page counted and listed.
    expect(job.status).toBe("succeeded");
    expect(job.stats).toMatchObject({ pages: { main: 2, failed: 1 }, errors: { http_503: 1 }, items: { saved: 4 } });
    expect(attempts).toHaveLength(3);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(2000);
    const database = await remote(db().url);
    try {
      expect(await failedPages(database, jobId)).toEqual([{ kind: "MP", url: `${s.url}/quotes/page/2/`, error: `http_503: main page ${s.url}/quotes/page/2/: HTTP 503`, attempts: 3 }]);
    } finally {
      database.close();
    }
    const logged = query(db().dbPath, "SELECT level, message FROM logs WHERE job_id = ? ORDER BY id", jobId);
    expect(logged).toContainEqual({ level: "ERROR", message: `main page ${s.url}/quotes/page/2/ failed for good after 3 attempt(s): http_503: main page ${s.url}/quotes/page/2/: HTTP 503` });
  }, 300_000);
});
