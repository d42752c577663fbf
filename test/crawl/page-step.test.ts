/**
 * One page step against a real test site: what a page gives (tally, items with their detail requests, follow-ups,
 * validators, log lines), from its inputs alone. And the pure page reading, whose input and output survive a
 * structured clone (the worker-thread boundary).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { detailPageStep, listPageStep, prepareList, stepContext, type ListTask, type StepContext } from "../../src/crawl/page-step.ts";
import { pageReader, readPage, type PageInput } from "../../src/crawl/read-page.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { bundleSchema } from "../../src/model/bundle.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { TEST_FETCH } from "../support/crawl.ts";
import { nextLinkBundle } from "../support/quotes-bundle.ts";
import { html, startSite } from "../support/site.ts";

const site = startSite({
  "/list": {
    body: html(`<div class="q"><h2>A</h2><a href="/d/1">more</a></div><div class="q"><h2>B</h2><a href="/d/2">more</a></div><a class="next" href="/list?p=2">next</a>`),
    headers: { etag: '"v1"' },
  },
  "/json": { body: "{}", type: "application/json" },
  "/same": (request) => (request.headers.get("if-none-match") === '"v1"' ? new Response(null, { status: 304 }) : new Response(html("x"), { headers: { "content-type": "text/html" } })),
  "/d/1": html(`<p class="body">Body 1</p>`),
});
afterAll(() => site.close());

const definitions = nextLinkBundle(undefined, [
  { name: "title", x_path: "h2/text()" },
  { name: "url", attr_type: "U", x_path: "a/@href", opens: "DP1" },
  { name: "body", x_path: "//p[@class='body']/text()", page_type: "DP1" },
]);

const bundle = bundleSchema.parse(definitions);
const target = { classBody: bundle.classes[0]!, scraperBody: bundle.scrapers[0]! };
const env = { timeZone: "UTC", now: () => new Date("2030-01-01T00:00:00Z") };
const signal = new AbortController().signal;

function context(options: Record<string, unknown> = {}): StepContext {
  return stepContext(target, runOptionsSchema.parse(options), new Fetcher(TEST_FETCH), env);
}

const main = (path: string): ListTask => ({ kind: "MP", url: `${site.url}${path}`, vars: {}, depth: 0 });

describe("list page step", () => {
  test("a page gives its items with their detail requests, its follow-up, its validators; nothing else changes", async () => {
    const ctx = context();
    const step = await listPageStep(ctx, prepareList(ctx, main("/list")), signal);
    expect(step.tally).toEqual({ page: "main" });
    expect(step.logs).toEqual([]);
    expect(step.followUps).toEqual([{ kind: "FP", url: `${site.url}/list?p=2`, vars: {}, depth: 1 }]);
    expect(step.items.map((i) => [i.values, i.details.map((d) => [d.pageType, d.request.url, d.shared])])).toEqual([
      [{ title: "A", url: `${site.url}/d/1` }, [["DP1", `${site.url}/d/1`, true]]],
      [{ title: "B", url: `${site.url}/d/2` }, [["DP1", `${site.url}/d/2`, true]]],
    ]);
    expect(step.validator).toEqual({ etag: '"v1"' });
    // The same step again gives the same result: the step keeps nothing.
    const again = await listPageStep(ctx, prepareList(ctx, main("/list")), signal);
    expect(again).toEqual(step);
  });

  test("the follow-ups are heard before the items are read, and only within num_pages_follow", async () => {
    const ctx = context();
    const heard: string[][] = [];
    const step = await listPageStep(ctx, prepareList(ctx, main("/list")), signal, (tasks) => heard.push(tasks.map((t) => t.url)));
    expect(heard).toEqual([[`${site.url}/list?p=2`]]);
    expect(step.items).toHaveLength(2);
    const limited = context({ num_pages_follow: 0 });
    expect((await listPageStep(limited, prepareList(limited, main("/list")), signal)).followUps).toEqual([]);
  });

  const failures: [string, string, object, string][] = [
    ["an error status", "/missing", { page: "failed", error: "http_404" }, `main page ${site.url}/missing: HTTP 404`],
    ["the wrong content type", "/json", { page: "failed", error: "content" }, `main page ${site.url}/json: `],
  ];
  test.each(failures)("%s is the page's failure, with its log line", async (_name, path, tally, message) => {
    const ctx = context();
    const step = await listPageStep(ctx, prepareList(ctx, main(path)), signal);
    expect(step.tally).toEqual(tally);
    expect(step.items).toEqual([]);
    expect(step.logs).toHaveLength(1);
    expect(step.logs[0]!.level).toBe("ERROR");
    expect(step.logs[0]!.message.startsWith(message)).toBe(true);
  });

  test("a conditional request answered 304 is counted as not modified, without reading", async () => {
    const ctx = context();
    const step = await listPageStep(ctx, { ...prepareList(ctx, main("/same")), validator: { etag: '"v1"' } }, signal);
    expect(step.tally).toEqual({ page: "not_modified" });
    expect(step.logs.map((l) => l.level)).toEqual(["INFO"]);
  });
});

describe("a reader that gives up on a page (another thread, over its time limit)", () => {
  const timedOut = { ok: false as const, error: { kind: "page_timeout" as const, message: "parsing and extraction took longer than the page time limit of 5 ms" } };
  const giving = (): StepContext => stepContext(target, runOptionsSchema.parse({}), new Fetcher(TEST_FETCH), env, async () => timedOut);

  test("a list page is a failure counted by the reader's kind, logged with its URL", async () => {
    const ctx = giving();
    const step = await listPageStep(ctx, prepareList(ctx, main("/list")), signal);
    expect(step).toEqual({
      tally: { page: "failed", error: "page_timeout" },
      logs: [{ level: "ERROR", message: `main page ${site.url}/list: ${timedOut.error.message}`, ref: `${site.url}/list` }],
      followUps: [],
      items: [],
    });
  });

  test("a detail page gives its items the reason instead of values", async () => {
    const step = await detailPageStep(giving(), { kind: "DP", pageType: "DP1", request: { method: "GET", url: `${site.url}/d/1` }, slot: "s" }, signal);
    expect(step).toEqual({
      tally: { page: "failed", error: "page_timeout" },
      logs: [{ level: "ERROR", message: `detail page DP1 ${site.url}/d/1: ${timedOut.error.message}`, ref: `${site.url}/d/1` }],
      result: { error: timedOut.error.message },
    });
  });

  test("a read that ends because the run stopped is nobody's failure", async () => {
    const stopping = new AbortController();
    const ctx = stepContext(target, runOptionsSchema.parse({}), new Fetcher(TEST_FETCH), env, () => {
      stopping.abort(new Error("interrupted"));
      return Promise.reject(new Error("interrupted"));
    });
    const step = await listPageStep(ctx, prepareList(ctx, main("/list")), stopping.signal);
    expect(step).toEqual({ tally: {}, logs: [], followUps: [], items: [] });
  });
});

describe("detail page step", () => {
  test("gives the page's values, or why it gave none", async () => {
    const ctx = context();
    const read = await detailPageStep(ctx, { kind: "DP", pageType: "DP1", request: { method: "GET", url: `${site.url}/d/1` }, slot: "s" }, signal);
    expect(read).toEqual({ tally: { page: "detail" }, logs: [], result: { values: { body: "Body 1" } } });
    const missing = await detailPageStep(ctx, { kind: "DP", pageType: "DP1", request: { method: "GET", url: `${site.url}/d/9` }, slot: "s" }, signal);
    expect(missing.tally).toEqual({ page: "failed", error: "http_404" });
    expect(missing.result).toEqual({ error: "HTTP 404" });
  });
});

describe("reading a page (pure)", () => {
  const reader = pageReader(target, env);
  const page = (pageType: string, body: string, contentType = "text/html"): PageInput => ({
    pageType,
    url: "http://x.test/list",
    contentType,
    body: new TextEncoder().encode(body),
    followLinks: true,
  });
  const cases: [string, PageInput, unknown][] = [
    [
      "a list page",
      page("MP", html(`<div class="q"><h2>A</h2><a href="/d/1">more</a></div><a class="next" href="?p=2">next</a>`)),
      { ok: true, links: [{ url: "http://x.test/list?p=2" }], items: [{ title: "A", url: "http://x.test/d/1" }] },
    ],
    ["a detail page", page("DP1", html(`<p class="body">B</p>`)), { ok: true, links: [], items: [], values: { body: "B" } }],
    ["a page of the wrong type", page("MP", "{}", "application/json"), { ok: false, error: { kind: "content", message: expect.stringContaining("application/json") } }],
  ];
  test.each(cases)("%s: plain data in, plain data out", (_name, input, output) => {
    const out = readPage(reader, structuredClone(input));
    expect(out).toEqual(output as never);
    expect(structuredClone(out)).toEqual(out);
  });
});
