/**
 * The real Worker under `wrangler dev`, polite across invocations and crawls: every request to a host waits for the
 * host's delay after the previous one, whichever crawl, step or invocation makes it — measured where it counts, on
 * the server, as a lower bound (arrival times; nothing here asserts how long anything took). robots.txt is read
 * once and kept in the database, and its Crawl-delay lengthens the delay. A cancelled crawl stops. And the daily
 * cron runs the checker tests and posts what fails to the webhook.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { cancelJob } from "../../src/db/jobs.ts";
import type { Hit } from "../support/site.ts";
import { useWorker } from "../support/worker.ts";
import { importInto, jobEnded, jobs, query, remote, waitFor } from "./support/db.ts";
import { quotesBundle, startQuotesSite, type QuotesSite } from "./support/quotes.ts";

const DELAY_MS = 300;
/** The webhook: what the daily round posts. */
const alerts: unknown[] = [];
const hook = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    alerts.push(await request.json());
    return new Response(null, { status: 204 });
  },
});
const sites: QuotesSite[] = [];
afterAll(async () => {
  for (const site of sites) await site.close();
  await hook.stop(true);
});
const worker = useWorker({
  database: {},
  vars: { DSCRAPER_DELAY_MS: String(DELAY_MS), DSCRAPER_PER_HOST: "1", DSCRAPER_OBEY_ROBOTS: "true", DSCRAPER_NOTIFY_URL: `http://127.0.0.1:${hook.port}/alerts` },
});
const db = () => worker.current.database!;

async function site(pages: number, perPage: number, authors: number, robots: string): Promise<QuotesSite> {
  const s = await startQuotesSite(pages, perPage, authors, { "/robots.txt": { body: robots, type: "text/plain" } });
  sites.push(s);
  return s;
}

/** Gaps between the arrivals of consecutive requests, in ms. The database clock counts whole milliseconds. */
function gaps(hits: readonly Hit[]): number[] {
  const at = hits.map((h) => h.at).sort((a, b) => a - b);
  return at.slice(1).map((t, i) => t - at[i]!);
}

async function tick(): Promise<number[]> {
  const before = new Set(jobs(db().dbPath).map((j) => j.id));
  expect((await worker.current.scheduled("* * * * *")).status).toBe(200);
  return jobs(db().dbPath).filter((j) => !before.has(j.id)).map((j) => j.id);
}

describe("politeness across crawls and invocations", () => {
  test("two crawls of one host at once keep the host's delay between all their requests; robots.txt is read once", async () => {
    const s = await site(3, 2, 2, "User-agent: *\nDisallow: /private/\n");
    await importInto(db().url, quotesBundle(s.url, "left", s.pages, { className: "Left", photo: false }));
    await importInto(db().url, quotesBundle(s.url, "right", s.pages, { className: "Right", photo: false }));
    const started = await tick();
    expect(started).toHaveLength(2);
    for (const id of started) expect((await jobEnded(db().dbPath, id)).status).toBe("succeeded");
    // Each crawl read every page: 3 list pages and 2 author pages, twice, and robots.txt once.
    expect(s.hits).toHaveLength(11);
    expect(s.count("/robots.txt")).toBe(1);
    for (const gap of gaps(s.hits)) expect(gap).toBeGreaterThanOrEqual(DELAY_MS - 1);
    expect(query(db().dbPath, "SELECT origin, status, body FROM robots_cache")).toEqual([{ origin: s.url, status: 200, body: "User-agent: *\nDisallow: /private/\n" }]);
  }, 300_000);

  test("robots.txt's Crawl-delay, when longer, is the host's delay", async () => {
    const s = await site(2, 2, 2, "User-agent: *\nCrawl-delay: 1\n");
    await importInto(db().url, quotesBundle(s.url, "slow", s.pages, { className: "Slow", photo: false }));
    const [id] = await tick();
    expect((await jobEnded(db().dbPath, id!)).status).toBe("succeeded");
    expect(s.hits).toHaveLength(5);
    for (const gap of gaps(s.hits)) expect(gap).toBeGreaterThanOrEqual(1000 - 1);
  }, 300_000);

  test("a cancelled crawl stops: its remaining messages do nothing, and it keeps the counts of what it did", async () => {
    const s = await site(12, 1, 1, "User-agent: *\n");
    await importInto(db().url, quotesBundle(s.url, "cancelled", s.pages, { className: "Cancelled", photo: false }));
    const [id] = await tick();
    await waitFor("the crawl to read a few pages", () => (s.hits.filter((h) => h.path.startsWith("/quotes/")).length >= 3 ? true : undefined));
    const database = await remote(db().url);
    try {
      expect((await cancelJob(database, id!, new Date()))?.status).toBe("cancelled");
    } finally {
      database.close();
    }
    // Quiet: no request for a while (a step under way when the cancel came may still finish its page).
    let seen = -1;
    let since = performance.now();
    await waitFor("the crawl's requests to stop", () => {
      if (s.hits.length !== seen) [seen, since] = [s.hits.length, performance.now()];
      return performance.now() - since > 3 * DELAY_MS + 3000 ? true : undefined;
    });
    const lists = s.hits.filter((h) => h.path.startsWith("/quotes/")).length;
    expect(lists).toBeLessThan(12);
    const job = jobs(db().dbPath).find((j) => j.id === id)!;
    expect(job.status).toBe("cancelled");
    expect((job.stats as { pages: { main: number } }).pages.main).toBe(lists);
    // The daily round's housekeeping removes what is left of the run.
    expect((await worker.current.scheduled("0 6 * * *")).status).toBe(200);
    await waitFor("the daily round", () => (query(db().dbPath, "SELECT count(*) AS n FROM worker_invocations WHERE handler = 'cron:0 6 * * *'")[0]!.n ? true : undefined));
    expect(query(db().dbPath, "SELECT count(*) AS n FROM crawl_steps WHERE job_id = ?", id)[0]!.n).toBe(0);
  }, 300_000);

  test("the daily cron runs the checker tests and posts what fails to the webhook, within the budget", async () => {
    const s = await site(1, 1, 1, "User-agent: *\n");
    const bundle = quotesBundle(s.url, "monitored", 1, { className: "Monitored", photo: false, status: "MANUAL" });
    // Its checker's reference URL is an author page that is still there: the test says the checker would keep it.
    const scraper = bundle.scrapers![0]!;
    Object.assign(scraper, { status: "ACTIVE", checkers: [{ attr: "url", checker_type: "404", checker_ref_url: `${s.url}/author/Author-0/` }] });
    bundle.sources = [];
    await importInto(db().url, bundle);
    alerts.length = 0;
    expect((await worker.current.scheduled("0 6 * * *")).status).toBe(200);
    const [alert] = await waitFor("the webhook's alert", () => (alerts.length ? alerts : undefined));
    expect(alert).toMatchObject({ type: "checker_tests", failures: [{ scraper: "monitored", result: "WARNING", ref_url: `${s.url}/author/Author-0/` }] });
    const [spent] = query(db().dbPath, "SELECT subrequests, budget FROM worker_invocations WHERE handler = 'cron:0 6 * * *' ORDER BY id DESC LIMIT 1");
    expect(Number(spent!.subrequests)).toBeLessThanOrEqual(Number(spent!.budget));
  }, 300_000);
});
