/**
 * The real Worker under `wrangler dev`, polite across invocations and crawls: every request to a host waits for the
 * host's delay after the previous one, whichever crawl, step or invocation makes it — measured where it counts, on
 * the server, as a lower bound (arrival times; nothing here asserts how long anything took). robots.txt is read
 * once and kept in the database, and its Crawl-delay lengthens the delay. A crawl shows its counts while it runs,
 * and a cancelled crawl stops. Crawls and cancels go through the API, as a user's would. And the daily cron runs
 * the checker tests and posts what fails to the webhook.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Hit } from "../support/site.ts";
import { DEFAULT_SUBREQUEST_BUDGET } from "../../worker/settings.ts";
import { useWorker } from "../support/worker.ts";
import { workerApi } from "./support/api.ts";
import { query, waitFor } from "./support/db.ts";
import { quotesBundle, quotesPage, startQuotesSite, type QuotesSite } from "./support/quotes.ts";

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
const TOKEN = "politeness-test-token";
const worker = useWorker({
  database: {},
  vars: { DSCRAPER_API_TOKEN: TOKEN, DSCRAPER_DELAY_MS: String(DELAY_MS), DSCRAPER_PER_HOST: "1", DSCRAPER_OBEY_ROBOTS: "true", DSCRAPER_NOTIFY_URL: `http://127.0.0.1:${hook.port}/alerts` },
});
const db = () => worker.current.database!;
const api = workerApi(() => worker.current, TOKEN);

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

describe("politeness across crawls and invocations", () => {
  test("two crawls of one host at once keep the host's delay between all their requests; robots.txt is read once", async () => {
    const s = await site(3, 2, 2, "User-agent: *\nDisallow: /private/\n");
    await api.import(quotesBundle(s.url, "left", s.pages, { className: "Left", photo: false, status: "MANUAL" }));
    await api.import(quotesBundle(s.url, "right", s.pages, { className: "Right", photo: false, status: "MANUAL" }));
    const started = await Promise.all([api.crawl("left"), api.crawl("right")]);
    for (const job of started) expect((await api.jobEnded(job.id)).status).toBe("succeeded");
    // Each crawl read every page: 3 list pages and 2 author pages, twice, and robots.txt once.
    expect(s.hits).toHaveLength(11);
    expect(s.count("/robots.txt")).toBe(1);
    for (const gap of gaps(s.hits)) expect(gap).toBeGreaterThanOrEqual(DELAY_MS - 1);
    expect(query(db().dbPath, "SELECT origin, status, body FROM robots_cache")).toEqual([{ origin: s.url, status: 200, body: "User-agent: *\nDisallow: /private/\n" }]);
  }, 300_000);

  test("the API's checker test, run while a crawl of the same host goes on, keeps the host's delay too, within its budget", async () => {
    const s = await site(4, 1, 1, "User-agent: *\n");
    const bundle = quotesBundle(s.url, "tested", s.pages, { className: "Tested", photo: false, status: "MANUAL" });
    // Its checker's reference URL is an author page that is still there: the test says the checker would keep it.
    Object.assign(bundle.scrapers![0]!, { checkers: [{ attr: "url", checker_type: "404", checker_ref_url: `${s.url}/author/Author-0/` }] });
    await api.import(bundle);
    const scraper = (await api.call<{ scrapers: { id: number; name: string }[] }>("GET", "/api/scrapers?per_page=500")).body.scrapers.find((x) => x.name === "tested")!;
    const crawl = await api.crawl("tested");
    const tested = await api.call<{ summary: Record<string, number>; results: { result: string; ref_url: string }[] }>("POST", `/api/scrapers/${scraper.id}/checker-test`);
    expect(tested.status).toBe(200);
    expect(tested.body.summary).toEqual({ OK: 0, WARNING: 1, ERROR: 0 });
    expect(tested.body.results).toMatchObject([{ result: "WARNING", ref_url: `${s.url}/author/Author-0/` }]);
    expect((await api.jobEnded(crawl.id)).status).toBe("succeeded");
    // The crawl's 4 list pages and its author page, the checker test's author page, robots.txt once: all apart.
    expect(s.count("/author/Author-0/")).toBe(2);
    expect(s.hits).toHaveLength(7);
    for (const gap of gaps(s.hits)) expect(gap).toBeGreaterThanOrEqual(DELAY_MS - 1);
    // What the request spent, from its access line: its page fetch (and robots.txt, if no crawl step had read it).
    const [line] = await worker.current.waitForOutput(/\{[^\n]*"msg":"request","method":"POST","path":"\/api\/scrapers\/\d+\/checker-test"[^\n]*\}/);
    const spent = JSON.parse(line) as { subrequests: number; counts: { fetches: number } };
    expect(spent.counts.fetches).toBeGreaterThanOrEqual(1);
    expect(spent.subrequests).toBeLessThanOrEqual(DEFAULT_SUBREQUEST_BUDGET);
  }, 300_000);

  test("robots.txt's Crawl-delay, when longer, is the host's delay", async () => {
    const s = await site(2, 2, 2, "User-agent: *\nCrawl-delay: 1\n");
    await api.import(quotesBundle(s.url, "slow", s.pages, { className: "Slow", photo: false, status: "MANUAL" }));
    expect((await api.jobEnded((await api.crawl("slow")).id)).status).toBe("succeeded");
    expect(s.hits).toHaveLength(5);
    for (const gap of gaps(s.hits)) expect(gap).toBeGreaterThanOrEqual(1000 - 1);
  }, 300_000);

  test("a running crawl shows its counts so far; cancelled, it stops: its remaining messages do nothing", async () => {
    const s = await site(12, 1, 1, "User-agent: *\n");
    // The fourth list page asked for is held until the test lets it go: the crawl is running, three pages read.
    let lists = 0;
    const hold = Promise.withResolvers<void>();
    for (let p = 1; p <= 12; p++) {
      s.set(`/quotes/page/${p}/`, async () => {
        if (++lists === 4) await hold.promise;
        return new Response(quotesPage(p, 1, 1), { headers: { "content-type": "text/html; charset=utf-8" } });
      });
    }
    await api.import(quotesBundle(s.url, "cancelled", s.pages, { className: "Cancelled", photo: false, status: "MANUAL" }));
    const { id } = await api.crawl("cancelled");
    const live = await waitFor("the three pages before the held one to count", async () => {
      const job = await api.job(id);
      return (job.stats as { pages?: { main: number } }).pages?.main === 3 ? job : undefined;
    });
    expect(live.status).toBe("running");
    expect(live.stats).toMatchObject({ pages: { main: 3, failed: 0 }, items_read: 3 });

    const cancel = await api.call<{ status: string }>("POST", `/api/jobs/${id}/cancel`);
    expect(cancel).toMatchObject({ status: 200, body: { status: "cancelled" } });
    hold.resolve();
    // Quiet: no request for a while.
    let seen = -1;
    let since = performance.now();
    await waitFor("the crawl's requests to stop", () => {
      if (s.hits.length !== seen) [seen, since] = [s.hits.length, performance.now()];
      return performance.now() - since > 3 * DELAY_MS + 3000 ? true : undefined;
    });
    // Steps that had claimed their page before the cancel may still read it (they waited for the held host).
    expect(lists).toBeGreaterThanOrEqual(4);
    expect(lists).toBeLessThan(12);
    const job = await api.job(id);
    expect(job.status).toBe("cancelled");
    expect((job.stats as { pages: { main: number } }).pages.main).toBe(lists);
    expect((await api.call("POST", `/api/jobs/${id}/cancel`)).status).toBe(409);
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
    await api.import(bundle);
    alerts.length = 0;
    expect((await worker.current.scheduled("0 6 * * *")).status).toBe(200);
    const [alert] = await waitFor("the webhook's alert", () => (alerts.length ? alerts : undefined));
    expect(alert).toMatchObject({ type: "checker_tests", failures: [{ scraper: "monitored", result: "WARNING", ref_url: `${s.url}/author/Author-0/` }] });
    const [spent] = query(db().dbPath, "SELECT subrequests, budget FROM worker_invocations WHERE handler = 'cron:0 6 * * *' ORDER BY id DESC LIMIT 1");
    expect(Number(spent!.subrequests)).toBeLessThanOrEqual(Number(spent!.budget));
  }, 300_000);
});
