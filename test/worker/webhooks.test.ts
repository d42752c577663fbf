/**
 * The job webhook of the real Worker (wrangler.toml, worker/index.ts) under `wrangler dev`: crawls asked for
 * through the API, their webhooks received by real hooks on 127.0.0.1 that check the signature with node:crypto
 * over the raw body, as a user's receiver would. The retries are the local queue's own redeliveries (1, 2, 4, 8 s
 * apart): counts, bytes and values are asserted, never how long it took.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Job } from "../../src/model/job.ts";
import { heldPage } from "../support/held-page.ts";
import { startHook, validSignature, type Delivery, type Hook } from "../support/hook.ts";
import { useWorker } from "../support/worker.ts";
import { workerApi } from "./support/api.ts";
import { query, waitFor } from "./support/db.ts";
import { quotesBundle, quotesPage, startQuotesSite, type QuotesSite } from "./support/quotes.ts";

const TOKEN = "webhook-test-token";
const SECRET = "webhook-test-secret";
const hooks: Hook[] = [];
const sites: QuotesSite[] = [];
function hook(): Hook {
  const h = startHook();
  hooks.push(h);
  return h;
}
const global = hook();
afterAll(async () => {
  for (const s of sites) await s.close();
  for (const h of hooks) await h.close();
});

const worker = useWorker({
  database: {},
  vars: {
    DSCRAPER_API_TOKEN: TOKEN,
    DSCRAPER_DELAY_MS: "0",
    DSCRAPER_PER_HOST: "2",
    DSCRAPER_WEBHOOK_URL: `${global.url}/global`,
    DSCRAPER_WEBHOOK_SECRET: SECRET,
  },
});
const api = workerApi(() => worker.current, TOKEN);
const db = () => worker.current.database!;

/** A one-page quotes site crawled as source `name`, its scraper's webhook_url `own` (null: none of its own). */
async function source(name: string, own: string | null, extra = {}): Promise<QuotesSite> {
  const site = await startQuotesSite(1, 2, 2, extra);
  sites.push(site);
  const bundle = quotesBundle(site.url, name, 1, { status: "MANUAL", className: name[0]!.toUpperCase() + name.slice(1), photo: false });
  await api.import({ ...bundle, scrapers: bundle.scrapers!.map((s) => ({ ...s, webhook_url: own })) });
  return site;
}

/** What `h` received for job `id`. */
function deliveries(h: Hook, id: number): Delivery[] {
  return h.received.filter((d) => (d.json.job as { id: number }).id === id);
}

/** The Worker's log line about job `id`'s webhook whose message starts with `start`, parsed. */
async function logLine(id: number, start: string, timeoutMs?: number): Promise<Record<string, unknown>> {
  const escaped = start.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const [line] = await worker.current.waitForOutput(new RegExp(`\\{"time":[^\\n]*"msg":"${escaped}[^\\n]*"job_id":${id}[,}][^\\n]*\\}`), timeoutMs);
  return JSON.parse(line) as Record<string, unknown>;
}

/** Every delivery is one body, signed, with the event header: the checks of a receiver. */
function expectSigned(received: Delivery[]): void {
  for (const d of received) {
    expect(d.headers.get("x-dscraper-event")).toBe("job.finished");
    expect(d.headers.get("content-type")).toBe("application/json");
    expect(validSignature(SECRET, d.body, d.headers.get("x-dscraper-signature"))).toBe(true);
  }
}

/** Invocations of the dead-letter queue's consumer (none is expected in this file). */
function deadLetterInvocations(): number {
  return Number(query(db().dbPath, "SELECT count(*) AS n FROM worker_invocations WHERE handler = 'queue:dscraper-jobs-dlq'")[0]!.n);
}

describe("the Worker's job webhook", () => {
  test("a crawl that succeeds: one POST to the global hook, the job's final shape with its stats, signed", async () => {
    await source("plain", null);
    const job = await api.jobEnded((await api.crawl("plain")).id);
    expect(job.status).toBe("succeeded");
    await logLine(job.id, "job webhook delivered");
    const received = deliveries(global, job.id);
    expect(received).toHaveLength(1);
    expectSigned(received);
    const [delivery] = received;
    expect(delivery!.json).toEqual({ event: "job.finished", job: await api.job(job.id), scraper: "plain", sent_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect(delivery!.json.job).toMatchObject({
      status: "succeeded",
      source: "plain",
      stats: { pages: { main: 1, detail: 2, failed: 0 }, items_read: 2, items: { saved: 2 } },
    });
    expect(Date.parse(String(delivery!.json.sent_at))).toBeGreaterThanOrEqual(Date.parse(job.finished_at!));
  }, 300_000);

  test("a scraper's own webhook_url wins over the global one", async () => {
    const own = hook();
    await source("owned", `${own.url}/own`);
    const job = await api.jobEnded((await api.crawl("owned")).id);
    await logLine(job.id, "job webhook delivered");
    expect(deliveries(own, job.id)).toHaveLength(1);
    expect(deliveries(global, job.id)).toHaveLength(0);
    expectSigned(own.received);
    expect(own.received[0]!.json).toMatchObject({ scraper: "owned", job: { id: job.id, status: "succeeded" } });
  }, 300_000);

  test("a hook that answers 500 twice: delivered on the third try, the same bytes each time; the job keeps no failed page", async () => {
    const flaky = hook();
    flaky.answers.push(500, 500);
    await source("flaky", `${flaky.url}/flaky`);
    const job = await api.jobEnded((await api.crawl("flaky")).id);
    expect(await logLine(job.id, "job webhook delivered on try 3")).toMatchObject({ level: "INFO", source_id: job.source_id });
    const received = deliveries(flaky, job.id);
    expect(received).toHaveLength(3);
    expectSigned(received);
    expect(new Set(received.map((d) => d.body)).size).toBe(1);
    expect(new Set(received.map((d) => d.headers.get("x-dscraper-signature"))).size).toBe(1);
    const after = await api.job(job.id);
    expect(after).toEqual(job);
    expect(after.failed_pages).toBeUndefined();
    expect(after.stats).toMatchObject({ pages: { failed: 0 }, errors: {} });
    expect(deadLetterInvocations()).toBe(0);
  }, 300_000);

  test("a hook that always answers 500: five tries, then an ERROR line with the job's ids; the job is left as it was", async () => {
    const down = hook();
    down.answers.push(...Array.from({ length: 10 }, () => 500));
    await source("down", `${down.url}/down`);
    const job = await api.jobEnded((await api.crawl("down")).id);
    const line = await logLine(job.id, "job webhook not delivered", 120_000);
    expect(line).toMatchObject({ level: "ERROR", msg: `job webhook not delivered after 5 tries: webhook ${down.url}/down answered HTTP 500`, job_id: job.id, source_id: job.source_id });
    const received = deliveries(down, job.id);
    expect(received).toHaveLength(5);
    expect(new Set(received.map((d) => d.body)).size).toBe(1);
    expect(await api.job(job.id)).toEqual(job);
    expect(job).toMatchObject({ status: "succeeded", stats: { pages: { failed: 0 } } });
    expect(deadLetterInvocations()).toBe(0);
  }, 300_000);

  test("a running crawl cancelled: one webhook, with status cancelled", async () => {
    const own = hook();
    const held = heldPage(quotesPage(1, 2, 2));
    await source("stopped", `${own.url}/stopped`, { "/quotes/page/1/": held.page });
    const queued = await api.crawl("stopped");
    await waitFor("the main page to be asked for", () => (held.waiting === 1 ? true : undefined));
    const recorded = () => Number(query(db().dbPath, "SELECT count(*) AS n FROM worker_invocations w WHERE EXISTS (SELECT 1 FROM json_each(w.jobs) j WHERE j.value = ?)", queued.id)[0]!.n);
    const before = recorded();
    const cancel = await api.call<Job>("POST", `/api/jobs/${queued.id}/cancel`);
    expect(cancel).toMatchObject({ status: 200, body: { status: "cancelled" } });
    held.release();
    await logLine(queued.id, "job webhook delivered");
    // The page held while the job was cancelled is done with (its invocation recorded): it sent no second webhook.
    await waitFor("the held page's invocation to end", () => (recorded() > before ? true : undefined));
    const received = deliveries(own, queued.id);
    expect(received).toHaveLength(1);
    expectSigned(received);
    expect(received[0]!.json).toMatchObject({ event: "job.finished", scraper: "stopped", job: { id: queued.id, status: "cancelled", error: "cancelled" } });
    expect(deliveries(global, queued.id)).toHaveLength(0);
  }, 300_000);
});
