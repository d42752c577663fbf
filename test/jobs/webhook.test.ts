/**
 * The job webhook against a real receiver on 127.0.0.1 and a real database: the payload, its signature (checked
 * with node:crypto, as a user's receiver would), which URL wins, and the retries (waits through an injected sleep).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/connect.ts";
import { insertJob, type JobRow } from "../../src/db/jobs.ts";
import type { LogRecord } from "../../src/jobs/log.ts";
import { nextTryDelayMs, sendJobWebhook, webhookSignature, type JobWebhookSettings, type RetryPolicy } from "../../src/jobs/webhook.ts";
import { systemClock } from "../../src/ports.ts";
import { store } from "../support/crawl.ts";
import { startHook, validSignature, type Hook } from "../support/hook.ts";
import { closedPort } from "../support/misbehaving-server.ts";
import { tempDatabase } from "../support/temp.ts";

let database: Database;
let hook: Hook;
let own: JobRow;
let plain: JobRow;

function scraper(name: string, webhook_url: string | null) {
  return { name, class: "C", status: "MANUAL" as const, webhook_url, page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//div" }, { attr: "t", x_path: "text()" }] };
}

beforeAll(async () => {
  hook = startHook();
  database = await tempDatabase();
  await store(database, {
    classes: [{ name: "C", attrs: [{ name: "base", attr_type: "B" }, { name: "t", attr_type: "S", id_field: true }] }],
    scrapers: [scraper("own", `${hook.url}/own`), scraper("plain", null)],
    sources: [
      { name: "own", url: "http://127.0.0.1:9/", scraper: "own" },
      { name: "plain", url: "http://127.0.0.1:9/", scraper: "plain" },
    ],
  });
  const at = new Date(Date.UTC(2025, 0, 1));
  // Queued by the scheduler: the job names its source only, and its scraper is the source's.
  own = await insertJob(database, { kind: "crawl", source_id: 1, params: { dry_run: false } }, at);
  plain = await insertJob(database, { kind: "crawl", source_id: 2, scraper_id: 2, params: { dry_run: false } }, at);
});
afterAll(() => hook.close());

interface Run {
  waits: number[];
  logs: LogRecord[];
  result: Awaited<ReturnType<typeof sendJobWebhook>>;
}

async function send(job: JobRow, settings: JobWebhookSettings, signal = new AbortController().signal): Promise<Run> {
  const waits: number[] = [];
  const logs: LogRecord[] = [];
  const result = await sendJobWebhook({ database, clock: systemClock, sleep: async (ms) => void waits.push(ms), settings, sink: (r) => logs.push(r) }, job, signal);
  return { waits, logs, result };
}

function since(n: number) {
  return hook.received.slice(n);
}

describe("webhookSignature", () => {
  test.each([
    ["key", "The quick brown fox jumps over the lazy dog", "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"],
    ["k", "", null],
    ["s3cret", '{"a":"é"}', null],
  ])("HMAC-SHA256 of the body under the secret, as hex: %p %p", async (secret, body, expected) => {
    const signature = await webhookSignature(secret, body);
    if (expected) expect(signature).toBe(expected);
    expect(validSignature(secret, body, signature)).toBe(true);
  });
});

describe("nextTryDelayMs", () => {
  const cases: [number, RetryPolicy, number | undefined][] = [
    [1, {}, 1000],
    [2, {}, 2000],
    [3, {}, 4000],
    [4, {}, 8000],
    [5, {}, undefined],
    [6, {}, undefined],
    [1, { backoffMs: 100 }, 100],
    [3, { backoffMs: 100 }, 400],
    [2, { attempts: 3 }, 2000],
    [3, { attempts: 3 }, undefined],
    [1, { attempts: 1 }, undefined],
    [1, { attempts: 0 }, undefined],
    [0, {}, 1000],
  ];
  test.each(cases)("after %p failed tries under %j: %p", (tried, policy, expected) => {
    expect(nextTryDelayMs(tried, policy)).toBe(expected);
  });
});

describe("sendJobWebhook", () => {
  test("POSTs the job's shape to the scraper's own webhook_url (it wins over the global one), signed", async () => {
    const n = hook.received.length;
    const run = await send(own, { url: `${hook.url}/global`, secret: "k" });
    expect(run.result).toEqual({ sent: true, attempts: 1, url: `${hook.url}/own` });
    const [delivery] = since(n);
    expect(delivery!.headers.get("content-type")).toBe("application/json");
    expect(delivery!.headers.get("x-dscraper-event")).toBe("job.finished");
    expect(validSignature("k", delivery!.body, delivery!.headers.get("x-dscraper-signature"))).toBe(true);
    expect(delivery!.json).toEqual({
      event: "job.finished",
      scraper: "own",
      sent_at: expect.stringMatching(/Z$/),
      job: expect.objectContaining({ id: own.id, kind: "crawl", status: "queued", source_id: 1, source: "own", stats: {}, created_at: "2025-01-01T00:00:00.000Z" }),
    });
  });

  test("a scraper without one uses the global webhook; without a secret there is no signature; with neither, nothing is sent", async () => {
    const n = hook.received.length;
    expect((await send(plain, { url: `${hook.url}/global` })).result).toMatchObject({ sent: true, url: `${hook.url}/global` });
    expect(since(n)[0]!.headers.get("x-dscraper-signature")).toBeNull();
    expect((await send(plain, {})).result).toEqual({ sent: false, reason: "no webhook" });
    expect(since(n)).toHaveLength(1);
  });

  test("no answer, 5xx and 429 are tried again after doubling waits, with the same bytes and signature", async () => {
    const n = hook.received.length;
    hook.answers.push(500, 429, 503);
    const run = await send(plain, { url: `${hook.url}/global`, secret: "k", backoffMs: 100 });
    expect(run.result).toEqual({ sent: true, attempts: 4, url: `${hook.url}/global` });
    expect(run.waits).toEqual([100, 200, 400]);
    const tries = since(n);
    expect(tries).toHaveLength(4);
    expect(new Set(tries.map((t) => t.body)).size).toBe(1);
    expect(new Set(tries.map((t) => t.headers.get("x-dscraper-signature"))).size).toBe(1);
    expect(run.logs.map((l) => [l.level, l.job_id])).toEqual([
      ["WARNING", plain.id],
      ["WARNING", plain.id],
      ["WARNING", plain.id],
    ]);
  });

  test("gives up after its tries, or at once on an answer that another try would not change (4xx)", async () => {
    hook.answers.push(500, 500, 500);
    const exhausted = await send(plain, { url: `${hook.url}/global`, attempts: 3 });
    expect(exhausted.result).toMatchObject({ sent: false, attempts: 3, error: `webhook ${hook.url}/global answered HTTP 500` });
    expect(exhausted.waits).toEqual([1000, 2000]);
    expect(exhausted.logs.at(-1)).toMatchObject({ level: "ERROR", msg: `job webhook not delivered after 3 tries: webhook ${hook.url}/global answered HTTP 500`, job_id: plain.id, source_id: 2 });

    hook.answers.push(410);
    const refused = await send(plain, { url: `${hook.url}/global` });
    expect(refused.result).toMatchObject({ sent: false, attempts: 1 });
    expect(refused.waits).toEqual([]);
  });

  test("a hook that does not answer is tried again; a stopping process tries no more", async () => {
    const closed = `http://127.0.0.1:${closedPort()}/hook`;
    const run = await send(plain, { url: closed, attempts: 2, backoffMs: 5 });
    expect(run.result).toMatchObject({ sent: false, attempts: 2 });
    expect(run.waits).toEqual([5]);
    const stop = new AbortController();
    stop.abort();
    const stopped = await send(plain, { url: closed }, stop.signal);
    expect(stopped.result).toMatchObject({ sent: false, attempts: 1 });
    expect(stopped.waits).toEqual([]);
  });
});
