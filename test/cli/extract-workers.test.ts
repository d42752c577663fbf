/**
 * The binary's extraction threads (cli/extract-workers.ts): the same output as `readPage` inline, the follow links
 * heard before the items, each run's definitions sent to a thread once, threads started lazily and replaced when a
 * page goes over its time limit, when its run stops or when they die, and an idle pool that does not keep the
 * process alive. The CLI's crawls use them (test/cli/*), the compiled binary's too (binary.test.ts); a page that
 * keeps a thread busy for minutes is in busy-page.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultExtractThreads, ExtractWorkers } from "../../cli/extract-workers.ts";
import { crawl, type ReadItem } from "../../src/crawl/crawler.ts";
import { pageReader, readPage, type PageInput, type PageOutput, type ReaderDefinitions } from "../../src/crawl/read-page.ts";
import type { FollowLink } from "../../src/extract/extractor.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { bundleSchema } from "../../src/model/bundle.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { ROOT } from "../support/cli.ts";
import { TEST_FETCH } from "../support/crawl.ts";
import { runPoolScript } from "../support/idle-pool.ts";
import { html, startSite } from "../support/site.ts";
import { tempDir } from "../support/temp.ts";

const pools: ExtractWorkers[] = [];
function pool(options: ConstructorParameters<typeof ExtractWorkers>[0] = {}): ExtractWorkers {
  const p = new ExtractWorkers(options);
  pools.push(p);
  return p;
}

const site = startSite({});
for (let p = 1; p <= 3; p++) {
  const quotes = Array.from({ length: 10 }, (_, i) => `<div class="q"><h2>Quote ${p}.${i}</h2><a href="/author/${i % 4}">by</a></div>`).join("");
  site.set(`/page/${p}`, html(`${quotes}${p < 3 ? `<a class="next" href="/page/${p + 1}">next</a>` : ""}`));
}
for (let a = 0; a < 4; a++) site.set(`/author/${a}`, html(`<p class="born">${1900 + a}</p>`));
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await site.close();
});

const bundle = bundleSchema.parse({
  classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }, { name: "author", attr_type: "U" }, { name: "profile", attr_type: "U" }, { name: "born", attr_type: "S" }] }],
  scrapers: [
    {
      name: "q",
      class: "Q",
      status: "MANUAL",
      pagination_type: "FOLLOW",
      follow_pages_url_xpath: "//a[@class='next']/@href",
      page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "author" }, { page_type: "DP2", attr: "profile", content_type: "JSON" }],
      elems: [
        { attr: "base", x_path: "//div[@class='q']" },
        { attr: "text", x_path: "h2/text()" },
        { attr: "author", x_path: "a/@href" },
        { attr: "profile", x_path: "a/@data-profile" },
        { attr: "born", x_path: "//p[@class='born']/text()", page_type: "DP1" },
        { attr: "born", x_path: "$.born", page_type: "DP2" },
      ],
    },
  ],
});
const definitions: ReaderDefinitions = { classBody: bundle.classes[0]!, scraperBody: bundle.scrapers[0]!, timeZone: "UTC" };
const inline = pageReader(definitions, { timeZone: "UTC", now: () => new Date() });

const page = (pageType: string, body: string, contentType = "text/html", followLinks = true): PageInput => ({
  pageType,
  url: "http://x.test/list",
  contentType,
  body: new TextEncoder().encode(body),
  followLinks,
});

/** Every q div counts, for every span, all the spans: with 2,000 of them, minutes of one core. */
const busy = (() => {
  const defs = structuredClone(definitions);
  defs.scraperBody.elems[0]!.x_path = "//div[@class='q'][count(//span[count(//span) > 0]) > 0]";
  const divs = Array.from({ length: 2000 }, (_, i) => `<div class="q"><h2>${i}</h2><span>${i}</span></div>`).join("");
  return { definitions: defs, page: page("MP", html(`<a class="next" href="?p=2">next</a>${divs}`)) };
})();
const light = page("MP", html(`<div class="q"><h2>Light</h2><span>s</span></div>`));

const running = () => new AbortController().signal;

describe("ExtractWorkers", () => {
  const cases: [string, PageInput][] = [
    ["a list page with items and a follow link", page("MP", html(`<div class="q"><h2>A</h2><a href="/d/1">more</a></div><a class="next" href="?p=2">next</a>`))],
    ["a list page read without its follow links", page("MP", html(`<div class="q"><h2>A</h2></div><a class="next" href="?p=2">next</a>`), "text/html", false)],
    ["a detail page", page("DP1", html(`<p class="born">1900</p>`))],
    ["a JSON detail page", page("DP2", `{"born": "1950"}`, "application/json")],
    ["a page of the wrong type", page("MP", "{}", "application/json")],
    ["a JSON page that does not parse", page("DP2", "{", "application/json")],
  ];
  test.each(cases)("reads what readPage reads on this thread: %s", async (_, input) => {
    const expected = readPage(inline, structuredClone(input));
    const reader = pool({ size: 1 }).forRun(definitions, running());
    expect(await reader.read(structuredClone(input))).toEqual(expected);
    reader.release();
  });

  test("the follow links are heard before the page's output, and the page's bytes are moved, not copied", async () => {
    const reader = pool({ size: 1 }).forRun(definitions, running());
    const input = cases[0]![1];
    const body = input.body.slice();
    const heard: unknown[] = [];
    await reader.read({ ...input, body }, (links) => heard.push({ links })).then((out) => heard.push({ out }));
    // Detached: moved to the thread.
    expect(body.byteLength).toBe(0);
    expect(heard).toEqual([{ links: [{ url: "http://x.test/list?p=2" }] }, { out: readPage(inline, structuredClone(input)) }]);
  });

  test("threads start with a run and while pages wait, no more than `size`; each gets a run's definitions once", async () => {
    // The real thread, which also says how many definitions it has compiled so far.
    const entry = join(tempDir(), "counting-worker.ts");
    writeFileSync(
      entry,
      `let compiled = 0;
       const post = self.postMessage.bind(self);
       self.postMessage = (message, transfer) => post(message.kind === "read" ? { ...message, output: { ...message.output, compiled } } : message, transfer);
       await import(${JSON.stringify(join(ROOT, "cli/extract-worker.ts"))});
       const real = self.onmessage;
       self.onmessage = (event) => {
         if (event.data.kind === "definitions") compiled++;
         return real(event);
       };`,
    );
    const p = pool({ size: 2, entry });
    expect(p.running).toBe(0);
    // The first thread loads while the run fetches its first page.
    const first = p.forRun(definitions, running());
    expect(p.running).toBe(1);
    const outputs = await Promise.all(Array.from({ length: 12 }, () => first.read(structuredClone(light))));
    expect(p.running).toBe(2);
    const compiled = (o: PageOutput) => (o as PageOutput & { compiled: number }).compiled;
    // Two threads, one run: each thread compiled the definitions once, whatever number of pages it read.
    expect(Math.max(...outputs.map(compiled))).toBe(1);
    const second = p.forRun(definitions, running());
    const again = await second.read(structuredClone(light));
    expect(compiled(again)).toBe(2);
    expect(again).toMatchObject({ ok: true, items: [{ text: "Light" }] });
    first.release();
    second.release();
    // One page at a time needs one thread.
    const sequential = pool({ size: 2 });
    const reader = sequential.forRun(definitions, running());
    for (let i = 0; i < 3; i++) await reader.read(structuredClone(light));
    expect(sequential.running).toBe(1);
  });

  test("a page over the time limit is a page_timeout error naming the limit; a fresh thread reads the next page", async () => {
    const p = pool({ size: 1, pageTimeoutMs: 2000 });
    const reader = p.forRun(busy.definitions, running());
    const heard: FollowLink[][] = [];
    const slow = reader.read(structuredClone(busy.page), (links) => heard.push(links));
    // Queued behind the busy page on the only thread (a copy of its bytes went there): it goes back to the pool
    // when that thread is stopped, and a fresh one reads it.
    const next = reader.read(structuredClone(light));
    expect(await slow).toEqual({ ok: false, error: { kind: "page_timeout", message: "parsing and extraction took longer than the page time limit of 2000 ms (--page-timeout-ms)" } });
    // Its links were read before the limit, and heard.
    expect(heard).toEqual([[{ url: "http://x.test/list?p=2" }]]);
    expect(await next).toEqual(readPage(inline, structuredClone(light)));
    expect(p.running).toBe(1);
  }, 60_000);

  test("a run that stops ends its reads at once (its busy thread replaced); another run's pages go on", async () => {
    const p = pool({ size: 1, pageTimeoutMs: 3_600_000 });
    const stopping = new AbortController();
    const stopped = p.forRun(busy.definitions, stopping.signal);
    const other = p.forRun(definitions, running());
    let onThread!: () => void;
    const busyNow = new Promise<void>((resolve) => (onThread = resolve));
    // Its links are heard once it is on the thread, reading its items for minutes.
    const slow = stopped.read(structuredClone(busy.page), () => onThread());
    const waiting = stopped.read(structuredClone(light));
    const next = other.read(structuredClone(light));
    await busyNow;
    stopping.abort(new Error("interrupted"));
    expect(await slow.catch((e: Error) => e.message)).toBe("interrupted");
    expect(await waiting.catch((e: Error) => e.message)).toBe("interrupted");
    expect(await next).toEqual(readPage(inline, structuredClone(light)));
    expect(p.running).toBe(1);
    expect(await stopped.read(structuredClone(light)).catch((e: Error) => e.message)).toBe("interrupted");
  }, 60_000);

  test("a thread that dies fails its page as an internal error; the next page starts a fresh one", async () => {
    const entry = join(tempDir(), "dying-worker.ts");
    writeFileSync(
      entry,
      `await import(${JSON.stringify(join(ROOT, "cli/extract-worker.ts"))});
       const real = self.onmessage;
       self.onmessage = (event) => {
         if (event.data.kind === "read" && event.data.input.url.endsWith("/die")) process.exit(3);
         return real(event);
       };`,
    );
    const p = pool({ size: 1, entry });
    const reader = p.forRun(definitions, running());
    expect(await reader.read(structuredClone(light))).toMatchObject({ ok: true });
    expect(await reader.read({ ...structuredClone(light), url: "http://x.test/die" })).toEqual({ ok: false, error: { kind: "internal", message: expect.stringContaining("the extraction thread stopped") } });
    expect(p.running).toBe(0);
    expect(await reader.read(structuredClone(light))).toEqual(readPage(inline, structuredClone(light)));
    expect(p.running).toBe(1);
  });

  test("closing rejects the pages being read and refuses new ones", async () => {
    const p = pool({ size: 1 });
    const reader = p.forRun(definitions, running());
    const reading = reader.read(structuredClone(light));
    await p.close();
    expect(await reading.catch((e: Error) => e.message)).toBe("the extraction threads were closed");
    expect(p.running).toBe(0);
    expect(await reader.read(structuredClone(light)).catch((e: Error) => e.message)).toBe("the extraction threads are closed");
  });

  test("a crawl reading on threads reads the same pages and items as one reading inline", async () => {
    const run = async (readers?: ExtractWorkers) => {
      const items: ReadItem[] = [];
      const hits = site.hits.length;
      const stats = await crawl(
        { classBody: definitions.classBody, scraperBody: definitions.scraperBody, startUrls: [`${site.url}/page/1`] },
        runOptionsSchema.parse({}),
        new Fetcher(TEST_FETCH),
        { timeZone: "UTC", now: () => new Date() },
        { item: (item) => void items.push(item), log: () => {}, ...(readers ? { readers } : {}) },
        running(),
      );
      const values = items.map((i) => i.values).sort((a, b) => String(a.text).localeCompare(String(b.text)));
      return { stats, values, paths: site.hits.slice(hits).map((h) => h.path).sort() };
    };
    const onThisThread = await run();
    const onThreads = await run(pool({ size: 2 }));
    expect(onThisThread.values).toHaveLength(30);
    expect(onThisThread.values[0]).toEqual({ text: "Quote 1.0", author: `${site.url}/author/0`, born: "1900" });
    expect(onThreads).toEqual(onThisThread);
  });

  test("an idle pool does not keep the process alive, a busy one does", async () => {
    const dir = tempDir();
    const r = await runPoolScript(dir, {
      prelude: `import { ExtractWorkers } from ${JSON.stringify(join(ROOT, "cli/extract-workers.ts"))};
        const definitions = ${JSON.stringify(definitions)};
        const pool = new ExtractWorkers({ size: 1 });
        const reader = pool.forRun(definitions, new AbortController().signal);`,
      job: `reader.read({ pageType: "DP1", url: "http://x.test/", contentType: "text/html", body: new TextEncoder().encode('<p class="born">1900</p>'), followLinks: false })`,
      report: `console.log("read", out.values.born);`,
    });
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ code: 0, stdout: "read 1900\n" });
  });

  test("one thread per core beside the main thread's by default, at least one", () => {
    expect([1, 2, 4, 16].map((cores) => defaultExtractThreads(cores))).toEqual([1, 1, 3, 15]);
  });
});
