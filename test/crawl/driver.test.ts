/**
 * The in-process driver over a run state that answers later (as the Worker's database-backed one will): the same
 * pages are read, the same items come out, the counts agree with the in-memory state's.
 */
import { afterAll, expect, test } from "bun:test";
import { crawl, type ReadItem } from "../../src/crawl/crawler.ts";
import { MemoryRunState, type RunState } from "../../src/crawl/run-state.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { bundleSchema } from "../../src/model/bundle.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { TEST_FETCH } from "../support/crawl.ts";
import { nextLinkBundle } from "../support/quotes-bundle.ts";
import { html, startSite } from "../support/site.ts";

// Three list pages chained by next links; ten quotes each by four authors, whose pages are shared.
const site = startSite({});
for (let p = 1; p <= 3; p++) {
  const quotes = Array.from({ length: 10 }, (_, i) => `<div class="q"><h2>Quote ${p}.${i}</h2><a href="/author/${i % 4}">by</a></div>`).join("");
  site.set(`/page/${p}`, html(`${quotes}${p < 3 ? `<a class="next" href="/page/${p + 1}">next</a>` : ""}`));
}
for (let a = 0; a < 4; a++) site.set(`/author/${a}`, html(`<p class="born">${1900 + a}</p>`));
afterAll(() => site.close());

const bundle = bundleSchema.parse(
  nextLinkBundle(undefined, [
    { name: "text", x_path: "h2/text()" },
    { name: "author", attr_type: "U", x_path: "a/@href", opens: "DP1" },
    { name: "born", x_path: "//p[@class='born']/text()", page_type: "DP1" },
  ]),
);
const target = { classBody: bundle.classes[0]!, scraperBody: bundle.scrapers[0]!, startUrls: [`${site.url}/page/1`] };

/** The in-memory state behind promises that settle on a later turn, as a database round trip would. */
function later(state: MemoryRunState): RunState {
  const defer = <T>(answer: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(answer()), 0));
  return {
    admitListPage: (key, dontFilter) => defer(() => state.admitListPage(key, dontFilter)),
    listPageRead: (tally, items) => defer(() => state.listPageRead(tally, items)),
    detailPageRead: (slot, tally, result) => defer(() => state.detailPageRead(slot, tally, result)),
    count: (tally) => defer(() => state.count(tally)),
    stats: () => defer(() => state.stats()),
    unread: () => defer(() => state.unread()),
  };
}

async function run(state?: RunState) {
  const items: ReadItem[] = [];
  const hits = site.hits.length;
  const stats = await crawl(
    target,
    runOptionsSchema.parse({}),
    new Fetcher(TEST_FETCH),
    { timeZone: "UTC", now: () => new Date() },
    { item: (item) => void items.push(item), log: () => {}, ...(state ? { state } : {}) },
    new AbortController().signal,
  );
  const paths = site.hits.slice(hits).map((h) => h.path);
  return { stats, items: items.map((i) => i.values).sort((a, b) => String(a.text).localeCompare(String(b.text))), paths: paths.sort() };
}

test("a run state that answers later gives the same run as the in-memory one", async () => {
  const inMemory = await run();
  const answeringLater = await run(later(new MemoryRunState({ maxItems: Infinity, maxPages: Infinity })));
  expect(inMemory.items).toHaveLength(30);
  expect(inMemory.items[0]).toEqual({ text: "Quote 1.0", author: `${site.url}/author/0`, born: "1900" });
  expect(inMemory.stats).toEqual({ pages: { main: 1, follow: 2, detail: 4, not_modified: 0, failed: 0, duplicate: 0 }, items_read: 30, pages_without_items: 0, errors: {} });
  // Each author page once per run, however many quotes share it.
  expect(inMemory.paths).toEqual(["/author/0", "/author/1", "/author/2", "/author/3", "/page/1", "/page/2", "/page/3"]);
  expect(answeringLater).toEqual(inMemory);
});
