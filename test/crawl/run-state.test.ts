/**
 * What a crawl remembers between page steps, in memory: admissions, items waiting on shared detail pages, counts.
 * Pure: tables of steps and what the state answers.
 */
import { describe, expect, test } from "bun:test";
import type { DetailNeed, ItemRead } from "../../src/crawl/item.ts";
import { MemoryRunState, type Admission } from "../../src/crawl/run-state.ts";

const none = { maxItems: Infinity, maxPages: Infinity };

function need(key: string, shared = true): DetailNeed {
  return { pageType: "DP1", request: { method: "GET", url: `http://x.test/${key}` }, key: `DP1 GET http://x.test/${key}\n`, shared };
}

function item(title: string, needs: DetailNeed[] = []): ItemRead {
  return { values: { title }, pageUrl: "http://x.test/list", detailErrors: [], details: needs };
}

describe("admitting list pages", () => {
  const cases: [string, { limits?: { maxItems: number; maxPages: number }; itemsRead?: number; asks: [string, boolean][] }, Admission[], number][] = [
    ["new keys are fetched", { asks: [["a", false], ["b", false]] }, ["fetch", "fetch"], 0],
    ["a key seen before is a duplicate (counted)", { asks: [["a", false], ["a", false], ["a", false]] }, ["fetch", "duplicate", "duplicate"], 2],
    ["dont_filter fetches the same key again", { asks: [["a", false], ["a", true]] }, ["fetch", "fetch"], 0],
    ["a dont_filter page still marks its key seen", { asks: [["a", true], ["a", false]] }, ["fetch", "duplicate"], 1],
    ["max_pages_read: pages past the limit are not fetched, and not counted as duplicates", { limits: { maxItems: Infinity, maxPages: 2 }, asks: [["a", false], ["b", false], ["a", false], ["c", false]] }, ["fetch", "fetch", "over", "over"], 0],
    ["max_items_read reached: no more pages", { limits: { maxItems: 1, maxPages: Infinity }, itemsRead: 1, asks: [["a", false]] }, ["over"], 0],
  ];
  test.each(cases)("%s", (_name, { limits = none, itemsRead = 0, asks }, answers, duplicates) => {
    const state = new MemoryRunState(limits);
    if (itemsRead) state.listPageRead({}, Array.from({ length: itemsRead }, (_, i) => item(`pre ${i}`)));
    expect(asks.map(([key, dontFilter]) => state.admitListPage(key, dontFilter))).toEqual(answers);
    expect(state.stats().pages.duplicate).toBe(duplicates);
  });
});

describe("items and their detail pages", () => {
  test("an item without detail pages is complete at once; one with some waits and asks for each page", () => {
    const state = new MemoryRunState(none);
    const handoff = state.listPageRead({ page: "main" }, [item("plain"), item("detailed", [need("p1")])]);
    expect(handoff.complete.map((i) => i.values.title)).toEqual(["plain"]);
    expect(handoff.details).toEqual([{ kind: "DP", pageType: "DP1", request: need("p1").request, slot: need("p1").key }]);
    expect(handoff.progress).toEqual({ items: 2, errors: 0 });
    const done = state.detailPageRead(need("p1").key, { page: "detail" }, { values: { body: "B" } });
    expect(done.complete.map((i) => i.values)).toEqual([{ title: "detailed", body: "B" }]);
    expect(state.stats().pages).toMatchObject({ main: 1, detail: 1 });
  });

  test("a shared detail page is asked for once: items waiting get it when read, later items at once", () => {
    const state = new MemoryRunState(none);
    const first = state.listPageRead({ page: "main" }, [item("a", [need("author")]), item("b", [need("author")])]);
    expect(first.details).toHaveLength(1);
    expect(first.complete).toEqual([]);
    const read = state.detailPageRead(need("author").key, { page: "detail" }, { values: { born: "1900" } });
    expect(read.complete.map((i) => i.values)).toEqual([
      { title: "a", born: "1900" },
      { title: "b", born: "1900" },
    ]);
    const later = state.listPageRead({ page: "follow" }, [item("c", [need("author")])]);
    expect(later.details).toEqual([]);
    expect(later.complete.map((i) => i.values)).toEqual([{ title: "c", born: "1900" }]);
  });

  test("dont_filter detail pages are asked for per item, each in its own slot", () => {
    const state = new MemoryRunState(none);
    const handoff = state.listPageRead({}, [item("a", [need("p", false)]), item("b", [need("p", false)])]);
    expect(handoff.details).toHaveLength(2);
    const [one, two] = handoff.details;
    expect(one!.slot).not.toBe(two!.slot);
    expect(state.detailPageRead(one!.slot, { page: "detail" }, { values: { v: "1" } }).complete.map((i) => i.values)).toEqual([{ title: "a", v: "1" }]);
    expect(state.detailPageRead(two!.slot, { page: "detail" }, { values: { v: "2" } }).complete.map((i) => i.values)).toEqual([{ title: "b", v: "2" }]);
  });

  test("an item complete only when all its pages are read; values merged and failures named in need order", () => {
    const state = new MemoryRunState(none);
    const second: DetailNeed = { ...need("q"), pageType: "DP2", key: "DP2 q" };
    state.listPageRead({}, [item("a", [need("p"), second])]);
    expect(state.detailPageRead("DP2 q", { page: "failed", error: "http_404" }, { error: "HTTP 404" }).complete).toEqual([]);
    const [done] = state.detailPageRead(need("p").key, { page: "detail" }, { values: { body: "B" } }).complete;
    expect(done).toMatchObject({ values: { title: "a", body: "B" }, detailErrors: ["DP2 http://x.test/q: HTTP 404"] });
    expect(state.stats()).toMatchObject({ pages: { detail: 1, failed: 1 }, errors: { http_404: 1 } });
  });

  test("items past max_items_read are not read", () => {
    const state = new MemoryRunState({ maxItems: 3, maxPages: Infinity });
    expect(state.listPageRead({}, [item("a"), item("b")]).complete).toHaveLength(2);
    const next = state.listPageRead({}, [item("c"), item("d", [need("x")])]);
    expect(next.complete.map((i) => i.values.title)).toEqual(["c"]);
    expect(next.details).toEqual([]);
    expect(state.stats().items_read).toBe(3);
  });

  test("tallies count pages and errors; failures outside a step count too", () => {
    const state = new MemoryRunState(none);
    state.listPageRead({ page: "main" }, []);
    state.listPageRead({ page: "failed", error: "timeout" }, []);
    state.listPageRead({ page: "not_modified" }, []);
    state.count({ error: "internal" });
    expect(state.stats()).toEqual({ pages: { main: 1, follow: 0, detail: 0, not_modified: 1, failed: 1, duplicate: 0 }, items_read: 0, pages_without_items: 0, errors: { timeout: 1, internal: 1 } });
  });

  test("a run that stopped: items waiting for a page it did not read are never complete, and counted unread", () => {
    const state = new MemoryRunState(none);
    const second: DetailNeed = { ...need("q"), pageType: "DP2", key: "DP2 q" };
    const first = state.listPageRead({ page: "main" }, [item("plain"), item("a", [need("p"), second]), item("b", [need("p")]), item("c", [need("r")])]);
    expect(first.complete.map((i) => i.values.title)).toEqual(["plain"]);
    expect(state.unread()).toBe(3);
    // c's page was read before the stop: c is complete.
    expect(state.detailPageRead(need("r").key, { page: "detail" }, { values: { v: "r" } }).complete.map((i) => i.values.title)).toEqual(["c"]);
    // The stop: a's and b's shared page was not read; a's other page answers anyway, which does not complete a.
    expect(state.detailPageRead(need("p").key, { page: "failed" }, { stopped: true }).complete).toEqual([]);
    expect(state.detailPageRead("DP2 q", { page: "detail" }, { values: { w: "q" } }).complete).toEqual([]);
    expect(state.unread()).toBe(2);
    // The stopped page is forgotten: an item read after it asks for it again rather than taking it as read.
    const late = state.listPageRead({}, [item("d", [need("p")])]);
    expect(late.complete).toEqual([]);
    expect(late.details.map((d) => d.slot)).toEqual([need("p").key]);
    expect(state.unread()).toBe(3);
  });

  test("a page that failed for good is a result: its items are complete (and not unread)", () => {
    const state = new MemoryRunState(none);
    state.listPageRead({}, [item("a", [need("p")])]);
    const [done] = state.detailPageRead(need("p").key, { page: "failed", error: "http_500" }, { error: "HTTP 500" }).complete;
    expect(done).toMatchObject({ values: { title: "a" }, detailErrors: ["DP1 http://x.test/p: HTTP 500"] });
    expect(state.unread()).toBe(0);
  });
});
