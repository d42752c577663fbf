/**
 * Scraper definitions run end to end against a real test site and a real database: the scenarios of
 * django-dynamic-scraper's own test suite, and what dscraper does better.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ConflictError } from "../../src/errors.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import { crawlSource, store, storedItems } from "../support/crawl.ts";
import { html, startSite } from "../support/site.ts";
import { tempDatabase } from "../support/temp.ts";

const site = startSite({});
afterAll(() => site.close());

/** A DDS-style event list: title and detail link on the list, a description on each detail page. */
function eventList(events: { id: number; title: string }[]): string {
  return html(`<h1>Events</h1>${events.map((e) => `<div class="event"><h2>${e.title}</h2><a href="event${e.id}.html">more</a></div>`).join("")}`);
}

function eventDetail(description: string, extra = ""): string {
  return html(`<div class="description">${description}</div>${extra}`);
}

let prefixCounter = 0;
/** A fresh path prefix per test, so tests share the site without seeing each other's pages. */
function prefix(): string {
  return `/t${++prefixCounter}`;
}

type ClassInput = NonNullable<BundleInput["classes"]>[number];
type ScraperInput = NonNullable<BundleInput["scrapers"]>[number];

// Cases write definitions as plain JSON, as a user does; the bundle's validation is what types them.
function eventBundle(p: string, overrides: { attrs?: object[]; scraper?: object; elems?: object[] } = {}): BundleInput {
  return {
    classes: [
      {
        name: "Event",
        attrs: (overrides.attrs as ClassInput["attrs"] | undefined) ?? [
          { name: "base", attr_type: "B" },
          { name: "title", attr_type: "S" },
          { name: "url", attr_type: "U", id_field: true },
          { name: "description", attr_type: "S" },
        ],
      },
    ],
    scrapers: [
      {
        name: "events",
        class: "Event",
        status: "MANUAL",
        page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }],
        elems: (overrides.elems as ScraperInput["elems"] | undefined) ?? [
          { attr: "base", x_path: "//div[@class='event']" },
          { attr: "title", x_path: "h2/text()" },
          { attr: "url", x_path: "a/@href" },
          { attr: "description", x_path: "//div[@class='description']/text()", page_type: "DP1" },
        ],
        ...overrides.scraper,
      },
    ],
    sources: [{ name: "events", url: `${site.url}${p}/event_main.html`, scraper: "events" }],
  };
}

function fourEvents(p: string, count = 4): void {
  const events = Array.from({ length: count }, (_, i) => ({ id: i + 1, title: `Event ${i + 1}` }));
  site.set(`${p}/event_main.html`, eventList(events));
  for (const e of events) site.set(`${p}/event${e.id}.html`, eventDetail(`Description of event ${e.id}`));
}

describe("DDS scenarios", () => {
  test("4 items from a list page with descriptions from their detail pages", async () => {
    const p = prefix();
    fourEvents(p);
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const { job, rows } = await crawlSource(database, "events");
    expect(job.status).toBe("succeeded");
    expect(job.stats.items).toMatchObject({ saved: 4, updated: 0, unchanged: 0, dropped: {} });
    expect(job.stats.pages).toMatchObject({ main: 1, detail: 4, failed: 0 });
    // Items are stored as their detail pages arrive, so compare them in title order.
    const byTitle = (list: Record<string, unknown>[]) => [...list].sort((a, b) => String(a.title).localeCompare(String(b.title)));
    const items = byTitle(await storedItems(database));
    expect(items).toEqual(
      [1, 2, 3, 4].map((i) => ({ title: `Event ${i}`, url: `${site.url}${p}/event${i}.html`, description: `Description of event ${i}` })),
    );
    expect(byTitle(rows)).toEqual(items);
  });

  test("items already stored (same URL id field) are not saved again; a 5th item on the list is", async () => {
    const p = prefix();
    fourEvents(p);
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    await crawlSource(database, "events");
    const again = await crawlSource(database, "events", {}, {}, { conditional: false });
    expect(again.job.stats.items).toMatchObject({ saved: 0, unchanged: 4 });
    fourEvents(p, 5);
    const fifth = await crawlSource(database, "events", {}, {}, { conditional: false });
    expect(fifth.job.stats.items).toMatchObject({ saved: 1, unchanged: 4 });
    expect((await storedItems(database)).map((i) => i.title).sort()).toEqual(["Event 1", "Event 2", "Event 3", "Event 4", "Event 5"]);
  });

  test("the title as id field: a moved detail page is the same item", async () => {
    const p = prefix();
    fourEvents(p);
    const database = await tempDatabase();
    const attrs = [
      { name: "base", attr_type: "B" },
      { name: "title", attr_type: "S", id_field: true },
      { name: "url", attr_type: "U" },
      { name: "description", attr_type: "S" },
    ];
    await store(database, eventBundle(p, { attrs }));
    await crawlSource(database, "events");
    site.set(`${p}/event_main.html`, html(`<div class="event"><h2>Event 1</h2><a href="event4.html">more</a></div>`));
    const again = await crawlSource(database, "events", {}, {}, { conditional: false });
    expect(again.job.stats.items).toMatchObject({ saved: 0, unchanged: 1 });
  });

  test("a composite id of a main-page and a detail-page field", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, eventList([{ id: 1, title: "Concert" }, { id: 2, title: "Concert" }]));
    site.set(`${p}/event1.html`, eventDetail("Monday"));
    site.set(`${p}/event2.html`, eventDetail("Tuesday"));
    const database = await tempDatabase();
    const attrs = [
      { name: "base", attr_type: "B" },
      { name: "title", attr_type: "S", id_field: true },
      { name: "url", attr_type: "U" },
      { name: "description", attr_type: "S", id_field: true },
    ];
    await store(database, eventBundle(p, { attrs }));
    const { job } = await crawlSource(database, "events");
    expect(job.stats.items.saved).toBe(2);
    site.set(`${p}/event2.html`, eventDetail("Monday"));
    const again = await crawlSource(database, "events", {}, {}, { conditional: false });
    expect(again.job.stats.items).toMatchObject({ saved: 0, unchanged: 1, dropped: { "duplicate in this run": 1 } });
  });

  test("a STANDARD_UPDATE (T) value that changed updates the known item", async () => {
    const p = prefix();
    fourEvents(p, 2);
    const database = await tempDatabase();
    const attrs = [
      { name: "base", attr_type: "B" },
      { name: "title", attr_type: "S" },
      { name: "url", attr_type: "U", id_field: true },
      { name: "description", attr_type: "T" },
    ];
    await store(database, eventBundle(p, { attrs }));
    await crawlSource(database, "events");
    site.set(`${p}/event2.html`, eventDetail("Moved to Friday"));
    site.set(`${p}/event_main.html`, eventList([{ id: 1, title: "Event 1" }, { id: 2, title: "Renamed (S is not updated)" }]));
    const again = await crawlSource(database, "events", {}, {}, { conditional: false });
    expect(again.job.stats.items).toMatchObject({ saved: 0, updated: 1, unchanged: 1 });
    expect((await storedItems(database)).find((i) => i.title === "Event 2")).toEqual({ title: "Event 2", url: `${site.url}${p}/event2.html`, description: "Moved to Friday" });
  });

  test("a mandatory field missing: 2 of 3 items kept, the third dropped with its reason", async () => {
    const p = prefix();
    site.set(
      `${p}/event_main.html`,
      html(`<div class="event"><h2>A</h2><a href="event1.html">x</a></div><div class="event"><a href="event2.html">no title</a></div><div class="event"><h2>C</h2><a href="event3.html">x</a></div>`),
    );
    for (const i of [1, 2, 3]) site.set(`${p}/event${i}.html`, eventDetail(`D${i}`));
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const { job, logs } = await crawlSource(database, "events");
    expect(job.stats.items).toMatchObject({ saved: 2, dropped: { "missing mandatory title": 1 } });
    expect(logs.some((l) => l.level === "WARNING" && l.msg.includes("mandatory title is empty"))).toBe(true);
    expect((await storedItems(database)).map((i) => i.title).sort()).toEqual(["A", "C"]);
  });

  test("a mandatory helper attr (save_to_db: false) that is missing does not drop the item, as in DDS", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, html(`<div class="event"><h2>A</h2><span>a-slug</span></div><div class="event"><h2>B</h2></div>`));
    const database = await tempDatabase();
    await store(
      database,
      eventBundle(p, {
        attrs: [
          { name: "base", attr_type: "B" },
          { name: "title", attr_type: "S", id_field: true },
          { name: "slug", attr_type: "S", save_to_db: false },
        ],
        scraper: { page_types: [{ page_type: "MP" }] },
        elems: [
          { attr: "base", x_path: "//div[@class='event']" },
          { attr: "title", x_path: "h2/text()" },
          { attr: "slug", x_path: "span/text()" },
        ],
      }),
    );
    const { job } = await crawlSource(database, "events");
    expect(job.stats.items).toMatchObject({ saved: 2, dropped: {} });
    expect(await storedItems(database)).toEqual([{ title: "A" }, { title: "B" }]);
  });

  test("items without their identity value (an absent optional link) are all kept; a re-crawl adds nothing", async () => {
    const p = prefix();
    site.set(
      `${p}/event_main.html`,
      html(`<div class="event"><h2>A</h2><a href="a.html">x</a></div><div class="event"><h2>B</h2></div><div class="event"><h2>C</h2></div><div class="event"><h2>C</h2></div>`),
    );
    const database = await tempDatabase();
    await store(
      database,
      eventBundle(p, {
        attrs: [
          { name: "base", attr_type: "B" },
          { name: "title", attr_type: "S" },
          { name: "url", attr_type: "U" },
        ],
        scraper: { page_types: [{ page_type: "MP" }] },
        elems: [
          { attr: "base", x_path: "//div[@class='event']" },
          { attr: "title", x_path: "h2/text()" },
          { attr: "url", x_path: "a/@href", mandatory: false },
        ],
      }),
    );
    const { job } = await crawlSource(database, "events");
    // The second C is the same content read twice: one item.
    expect(job.stats.items).toMatchObject({ saved: 3, dropped: { "duplicate in this run": 1 } });
    expect(await storedItems(database)).toEqual([
      { title: "A", url: `${site.url}${p}/a.html` },
      { title: "B", url: null },
      { title: "C", url: null },
    ]);
    const again = await crawlSource(database, "events", {}, {}, { conditional: false });
    expect(again.job.stats.items).toMatchObject({ saved: 0, unchanged: 3 });
    expect(await storedItems(database)).toHaveLength(3);
  });

  test("a non-mandatory field may be missing", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, html(`<div class="event"><h2>A</h2><a href="event1.html">x</a></div>`));
    site.set(`${p}/event1.html`, html(`<p>no description here</p>`));
    const database = await tempDatabase();
    const elems = [
      { attr: "base", x_path: "//div[@class='event']" },
      { attr: "title", x_path: "h2/text()" },
      { attr: "url", x_path: "a/@href" },
      { attr: "description", x_path: "//div[@class='description']/text()", page_type: "DP1", mandatory: false },
    ];
    await store(database, eventBundle(p, { elems }));
    const { job } = await crawlSource(database, "events");
    expect(job.stats.items.saved).toBe(1);
    expect((await storedItems(database))[0]!.description).toBeNull();
  });

  test("an XML feed", async () => {
    const p = prefix();
    site.set(
      `${p}/feed.xml`,
      `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item><title>First &amp; best</title><link>${site.url}${p}/a</link><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate></item><item><title><![CDATA[Second <b>one</b>]]></title><link>${site.url}${p}/b</link></item></channel></rss>`,
    );
    const database = await tempDatabase();
    await store(database, {
      classes: [{ name: "Entry", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S" }, { name: "link", attr_type: "S", id_field: true }, { name: "date", attr_type: "S" }] }],
      scrapers: [
        {
          name: "feed",
          class: "Entry",
          status: "MANUAL",
          page_types: [{ page_type: "MP", content_type: "XML" }],
          elems: [
            { attr: "base", x_path: "//item" },
            { attr: "title", x_path: "title/text()" },
            { attr: "link", x_path: "link/text()" },
            { attr: "date", x_path: "pubDate/text()", processors: ["date"], proc_ctxt: { date: "%a, %d %b %Y %H:%M:%S GMT" }, mandatory: false },
          ],
        },
      ],
      sources: [{ name: "feed", url: `${site.url}${p}/feed.xml`, scraper: "feed" }],
    });
    const { job } = await crawlSource(database, "feed");
    expect(job.status).toBe("succeeded");
    expect(await storedItems(database)).toEqual([
      { title: "First & best", link: `${site.url}${p}/a`, date: "2006-01-02" },
      { title: "Second <b>one</b>", link: `${site.url}${p}/b`, date: null },
    ]);
  });

  test("a JSON list (root array $) with JSON and HTML detail pages", async () => {
    const p = prefix();
    site.set(`${p}/api/list`, JSON.stringify([{ id: 1, name: "Alpha", links: { self: "item/1" }, page: "/pages/alpha.html" }, { id: 2, name: "Beta", links: { self: "item/2" }, page: "/pages/beta.html" }]));
    site.set(`${p}/api/item/1`, JSON.stringify({ data: { price: 12.5, tags: ["a", "b"] } }));
    site.set(`${p}/api/item/2`, JSON.stringify({ data: { price: 7, tags: [] } }));
    site.set(`/pages/alpha.html`, html(`<p class="summary">Alpha is first</p>`));
    site.set(`/pages/beta.html`, html(`<p class="summary">Beta is second</p>`));
    const database = await tempDatabase();
    await store(database, {
      classes: [
        {
          name: "Product",
          attrs: [
            { name: "base", attr_type: "B" },
            { name: "name", attr_type: "S", id_field: true },
            { name: "api", attr_type: "U" },
            { name: "page", attr_type: "U" },
            { name: "price", attr_type: "S" },
            { name: "tags", attr_type: "S", many: true },
            { name: "summary", attr_type: "S" },
          ],
        },
      ],
      scrapers: [
        {
          name: "products",
          class: "Product",
          status: "ACTIVE",
          page_types: [
            { page_type: "MP", content_type: "JSON" },
            { page_type: "DP1", attr: "api", content_type: "JSON" },
            { page_type: "DP2", attr: "page", content_type: "HTML" },
          ],
          elems: [
            { attr: "base", x_path: "$" },
            { attr: "name", x_path: "name" },
            { attr: "api", x_path: "$.links.self" },
            { attr: "page", x_path: "page" },
            { attr: "price", x_path: "$.data.price", page_type: "DP1" },
            { attr: "tags", x_path: "$.data.tags[*]", page_type: "DP1", mandatory: false },
            { attr: "summary", x_path: "//p[@class='summary']/text()", page_type: "DP2" },
          ],
        },
      ],
      sources: [{ name: "api", url: `${site.url}${p}/api/list`, scraper: "products" }],
    });
    const { job } = await crawlSource(database, "api");
    expect(job.stats.items.saved).toBe(2);
    expect(await storedItems(database)).toEqual([
      { name: "Alpha", api: `${site.url}${p}/api/item/1`, page: `${site.url}/pages/alpha.html`, price: "12.5", tags: ["a", "b"], summary: "Alpha is first" },
      { name: "Beta", api: `${site.url}${p}/api/item/2`, page: `${site.url}/pages/beta.html`, price: "7", tags: [], summary: "Beta is second" },
    ]);
  });

  test("max_items_read and max_items_save, as run options and as scraper fields", async () => {
    const p = prefix();
    fourEvents(p);
    const cases: [Record<string, unknown>, object, number, number][] = [
      [{ max_items_read: 2 }, {}, 2, 2],
      [{ max_items_save: 3 }, {}, 4, 3],
      [{}, { max_items_read: 1 }, 1, 1],
      [{}, { max_items_save: 1 }, 4, 1],
      [{ max_items_read: 3 }, { max_items_read: 1 }, 3, 3],
    ];
    for (const [options, scraper, read, saved] of cases) {
      const database = await tempDatabase();
      await store(database, eventBundle(p, { scraper }));
      const { job } = await crawlSource(database, "events", options);
      expect([job.stats.items_read, job.stats.items.saved]).toEqual([read, saved]);
    }
  });

  test("PAUSED and INACTIVE scrapers are refused with a clear error; MANUAL and ACTIVE run by hand", async () => {
    const p = prefix();
    fourEvents(p, 1);
    for (const [status, refused] of [["PAUSED", true], ["INACTIVE", true], ["MANUAL", false], ["ACTIVE", false]] as const) {
      const database = await tempDatabase();
      await store(database, eventBundle(p, { scraper: { status } }));
      const run = crawlSource(database, "events");
      if (refused) {
        await expect(run).rejects.toThrow(ConflictError);
        await expect(run).rejects.toThrow(`scraper "events" is ${status}`);
        expect((await database.client.execute("SELECT count(*) AS n FROM jobs")).rows[0]!.n).toBe(0);
      } else expect((await run).job.status).toBe("succeeded");
    }
  });

  test("unicode on main and detail pages", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, html(`<div class="event"><h2>Zürich – “Wörter” 日本語 🎉</h2><a href="event%C3%BC.html">mehr</a></div>`));
    site.set(`${p}/eventü.html`, eventDetail("Ελληνικά &amp; Ørsted’s 𝄞"));
    site.set(`${p}/event%C3%BC.html`, eventDetail("Ελληνικά &amp; Ørsted’s 𝄞"));
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const { job } = await crawlSource(database, "events");
    expect(job.stats.items.saved).toBe(1);
    expect(await storedItems(database)).toEqual([{ title: "Zürich – “Wörter” 日本語 🎉", url: `${site.url}${p}/event%C3%BC.html`, description: "Ελληνικά & Ørsted’s 𝄞" }]);
  });

  test("a page in ISO-8859-1 (declared in a meta tag) is decoded", async () => {
    const p = prefix();
    const latin1 = new Uint8Array([...new TextEncoder().encode('<html><head><meta charset="iso-8859-1"></head><body><div class="event"><h2>Caf'), 0xe9, ...new TextEncoder().encode('</h2><a href="e1.html">x</a></div></body></html>')]);
    site.set(`${p}/event_main.html`, { body: latin1, type: "text/html" });
    site.set(`${p}/e1.html`, eventDetail("d"));
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    await crawlSource(database, "events");
    expect((await storedItems(database))[0]!.title).toBe("Café");
  });
});

describe("pagination", () => {
  function pagedSite(p: string, pages: Record<string, string[]>): void {
    for (const [path, titles] of Object.entries(pages)) {
      site.set(`${p}${path}`, html(titles.map((t) => `<div class="event"><h2>${t}</h2><a href="/d/${encodeURIComponent(t)}">x</a></div>`).join("")));
    }
  }

  function listBundle(p: string, scraper: object, start = "/list/"): BundleInput {
    return {
      classes: [{ name: "Row", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S", id_field: true }] }],
      scrapers: [
        {
          name: "rows",
          class: "Row",
          status: "MANUAL",
          page_types: [{ page_type: "MP" }],
          elems: [
            { attr: "base", x_path: "//div[@class='event']" },
            { attr: "title", x_path: "h2/text()" },
          ],
          ...scraper,
        },
      ],
      sources: [{ name: "rows", url: `${site.url}${p}${start}`, scraper: "rows" }],
    };
  }

  const titles = async (database: Awaited<ReturnType<typeof tempDatabase>>) => (await storedItems(database)).map((i) => i.title).sort();

  test("RANGE_FUNCT '1, 3' with '{page}.html' reads the bare URL then pages 1 and 2", async () => {
    const p = prefix();
    pagedSite(p, { "/list/": ["bare"], "/list/1.html": ["one"], "/list/2.html": ["two"], "/list/3.html": ["three"] });
    const database = await tempDatabase();
    await store(database, listBundle(p, { pagination_type: "RANGE_FUNCT", pagination_append_str: "{page}.html", pagination_page_replace: "1, 3" }));
    const { job } = await crawlSource(database, "rows");
    expect(job.stats.pages.main).toBe(3);
    expect(await titles(database)).toEqual(["bare", "one", "two"]);
  });

  test("pagination_on_start skips the bare URL; start_page/end_page pick a window of the generated pages", async () => {
    const p = prefix();
    pagedSite(p, { "/list/": ["bare"], "/list/0": ["p0"], "/list/10": ["p10"], "/list/20": ["p20"], "/list/30": ["p30"] });
    const database = await tempDatabase();
    await store(database, listBundle(p, { pagination_type: "RANGE_FUNCT", pagination_append_str: "{page}", pagination_page_replace: "0, 40, 10", pagination_on_start: true }));
    await crawlSource(database, "rows");
    expect(await titles(database)).toEqual(["p0", "p10", "p20", "p30"]);
    const windowed = await tempDatabase();
    await store(windowed, listBundle(p, { pagination_type: "RANGE_FUNCT", pagination_append_str: "{page}", pagination_page_replace: "0, 40, 10" }));
    await crawlSource(windowed, "rows", { start_page: "10", end_page: 20 });
    expect(await titles(windowed)).toEqual(["p10", "p20"]);
  });

  test("FREE_LIST in DDS syntax", async () => {
    const p = prefix();
    pagedSite(p, { "/list/": ["bare"], "/list/a-d/": ["a"], "/list/e-h/": ["e"] });
    const database = await tempDatabase();
    await store(database, listBundle(p, { pagination_type: "FREE_LIST", pagination_append_str: "{page}/", pagination_page_replace: "'a-d', 'e-h'", pagination_on_start: true }));
    await crawlSource(database, "rows");
    expect(await titles(database)).toEqual(["a", "e"]);
  });

  test("FOLLOW stops after num_pages_follow hops, and when there is no next link", async () => {
    const p = prefix();
    const chain: Record<string, string> = {};
    for (let i = 1; i <= 6; i++) {
      chain[`${p}/list/${i}`] = html(`<div class="event"><h2>page ${i}</h2></div>${i < 6 ? `<li class="next"><a href="${i + 1}">next</a></li>` : ""}`);
    }
    for (const [k, v] of Object.entries(chain)) site.set(k, v);
    const follow = { pagination_type: "FOLLOW", follow_pages_url_xpath: "//li[@class='next']/a/@href" };
    const limited = await tempDatabase();
    await store(limited, listBundle(p, { ...follow, num_pages_follow: 2 }, "/list/1"));
    const { job } = await crawlSource(limited, "rows");
    expect(job.stats.pages).toMatchObject({ main: 1, follow: 2 });
    expect(await titles(limited)).toEqual(["page 1", "page 2", "page 3"]);
    const all = await tempDatabase();
    await store(all, listBundle(p, follow, "/list/1"));
    expect((await crawlSource(all, "rows")).job.stats.pages.follow).toBe(5);
    const overridden = await tempDatabase();
    await store(overridden, listBundle(p, { ...follow, num_pages_follow: 2 }, "/list/1"));
    expect((await crawlSource(overridden, "rows", { num_pages_follow: 4 })).job.stats.pages.follow).toBe(4);
  });

  test("max_pages_read caps main and follow pages", async () => {
    const p = prefix();
    for (let i = 1; i <= 4; i++) site.set(`${p}/list/${i}`, html(`<div class="event"><h2>m${i}</h2></div><li class="next"><a href="${i + 1}">n</a></li>`));
    const database = await tempDatabase();
    await store(database, listBundle(p, { pagination_type: "FOLLOW", follow_pages_url_xpath: "//li[@class='next']/a/@href" }, "/list/1"));
    const { job } = await crawlSource(database, "rows", { max_pages_read: 2 });
    expect(job.stats.pages.main + job.stats.pages.follow).toBe(2);
  });

  test("RANGE_FUNCT also following next links from each generated page", async () => {
    const p = prefix();
    site.set(`${p}/cat/a`, html(`<div class="event"><h2>a1</h2></div><a class="next" href="a2">n</a>`));
    site.set(`${p}/cat/a2`, html(`<div class="event"><h2>a2</h2></div>`));
    site.set(`${p}/cat/b`, html(`<div class="event"><h2>b1</h2></div>`));
    const database = await tempDatabase();
    await store(
      database,
      listBundle(p, { pagination_type: "FREE_LIST", pagination_append_str: "{page}", pagination_page_replace: ["a", "b"], pagination_on_start: true, follow_pages_url_xpath: "//a[@class='next']/@href" }, "/cat/"),
    );
    await crawlSource(database, "rows");
    expect(await titles(database)).toEqual(["a1", "a2", "b1"]);
  });

  test("a source's extra urls are read by the same scraper in the same job", async () => {
    const p = prefix();
    pagedSite(p, { "/one": ["from one"], "/two": ["from two"] });
    const database = await tempDatabase();
    const bundle = listBundle(p, {}, "/one");
    bundle.sources![0]!.urls = [`${site.url}${p}/two`];
    await store(database, bundle);
    const { job } = await crawlSource(database, "rows");
    expect(job.stats.pages.main).toBe(2);
    expect(await titles(database)).toEqual(["from one", "from two"]);
    expect((await database.client.execute("SELECT count(*) AS n FROM jobs")).rows[0]!.n).toBe(1);
  });

  test("--url starts from another URL instead of the source's", async () => {
    const p = prefix();
    pagedSite(p, { "/one": ["from one"], "/elsewhere": ["elsewhere"] });
    const database = await tempDatabase();
    await store(database, listBundle(p, {}, "/one"));
    await crawlSource(database, "rows", { url: `${site.url}${p}/elsewhere` });
    expect(await titles(database)).toEqual(["elsewhere"]);
  });
});

describe("requests", () => {
  function formBundle(p: string, mp: object, extra: object = {}): BundleInput {
    return {
      classes: [{ name: "Row", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S", id_field: true }] }],
      scrapers: [
        {
          name: "rows",
          class: "Row",
          status: "MANUAL",
          page_types: [{ page_type: "MP", ...mp }],
          elems: [
            { attr: "base", x_path: "//div[@class='event']" },
            { attr: "title", x_path: "h2/text()" },
          ],
          ...extra,
        },
      ],
      sources: [{ name: "rows", url: `${site.url}${p}/search`, scraper: "rows" }],
    };
  }
  const page = (t: string) => html(`<div class="event"><h2>${t}</h2></div>`);

  test("POST with a raw body, custom headers and cookies, {page} filled in all of them", async () => {
    const p = prefix();
    site.set(`${p}/search`, page("found"));
    const database = await tempDatabase();
    await store(
      database,
      formBundle(
        p,
        { method: "POST", body: '{"q": "x", "page": {page}}', headers: { "X-Page": "p{page}", "Content-Type": "application/json" }, cookies: { session: "s-{page}" } },
        { pagination_type: "RANGE_FUNCT", pagination_append_str: "?p={page}", pagination_page_replace: "2, 4", pagination_on_start: true },
      ),
    );
    await crawlSource(database, "rows");
    const hits = site.hits.filter((h) => h.path.startsWith(`${p}/search`)).sort((a, b) => a.path.localeCompare(b.path));
    expect(hits.map((h) => [h.method, h.path, h.body, h.headers.get("x-page"), h.headers.get("cookie")])).toEqual([
      ["POST", `${p}/search?p=2`, '{"q": "x", "page": 2}', "p2", "session=s-2"],
      ["POST", `${p}/search?p=3`, '{"q": "x", "page": 3}', "p3", "session=s-3"],
    ]);
  });

  test("form data with {page}, sent url-encoded", async () => {
    const p = prefix();
    site.set(`${p}/search`, page("form"));
    const database = await tempDatabase();
    await store(
      database,
      formBundle(p, { method: "POST", request_type: "form", form_data: { query: "café & bar", page: "{page}" } }, { pagination_type: "FREE_LIST", pagination_append_str: "?x={page}", pagination_page_replace: "'7'", pagination_on_start: true }),
    );
    await crawlSource(database, "rows");
    const hit = site.hits.find((h) => h.path === `${p}/search?x=7`)!;
    expect(hit.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(hit.body))).toEqual({ query: "café & bar", page: "7" });
  });

  test("POST pagination with an empty append string: {page} only in the form data (DDS allows it)", async () => {
    const p = prefix();
    site.set(`${p}/search`, (_request, hit) => {
      const letters = new URLSearchParams(hit.body).get("letters") ?? "none";
      return new Response(page(`letters ${letters}`), { headers: { "content-type": "text/html" } });
    });
    const database = await tempDatabase();
    await store(
      database,
      formBundle(p, { method: "POST", request_type: "form", form_data: { letters: "{page}" } }, { pagination_type: "FREE_LIST", pagination_append_str: "", pagination_page_replace: "'a-d', 'e-h'", pagination_on_start: true }),
    );
    const { job } = await crawlSource(database, "rows");
    expect(site.hits.filter((h) => h.path === `${p}/search`).map((h) => h.body)).toEqual(["letters=a-d", "letters=e-h"]);
    expect(job.stats.pages.main).toBe(2);
    expect((await storedItems(database)).map((i) => i.title)).toEqual(["letters a-d", "letters e-h"]);
  });

  test("the same request is fetched once per run unless dont_filter", async () => {
    const p = prefix();
    site.set(`${p}/search`, page("same"));
    const withDuplicate = (bundle: BundleInput) => {
      bundle.sources![0]!.urls = [`${site.url}${p}/search`];
      return bundle;
    };
    const database = await tempDatabase();
    await store(database, withDuplicate(formBundle(p, {})));
    const { job } = await crawlSource(database, "rows");
    expect(site.count(`${p}/search`)).toBe(1);
    expect(job.stats.pages.duplicate).toBe(1);
    const again = await tempDatabase();
    await store(again, withDuplicate(formBundle(p, { dont_filter: true })));
    await crawlSource(again, "rows");
    expect(site.count(`${p}/search`)).toBe(3);
  });

  test("render_javascript is refused at run time, not silently ignored", async () => {
    const p = prefix();
    site.set(`${p}/search`, page("js"));
    const database = await tempDatabase();
    await store(database, formBundle(p, { render_javascript: true }));
    const { job } = await crawlSource(database, "rows");
    expect(job.status).toBe("failed");
    expect(job.error).toContain("render_javascript is not supported");
    expect(site.count(`${p}/search`)).toBe(0);
  });
});

describe("detail pages", () => {
  test("a detail page shared by many items is fetched once and serves them all", async () => {
    const p = prefix();
    const list = Array.from({ length: 6 }, (_, i) => `<div class="event"><h2>e${i}</h2><a href="author/${i % 2 ? "x" : "y"}">a</a></div>`).join("");
    site.set(`${p}/event_main.html`, html(list));
    site.set(`${p}/author/x`, eventDetail("Author X"));
    site.set(`${p}/author/y`, eventDetail("Author Y"));
    const database = await tempDatabase();
    const attrs = [
      { name: "base", attr_type: "B" },
      { name: "title", attr_type: "S", id_field: true },
      { name: "url", attr_type: "U" },
      { name: "description", attr_type: "S" },
    ];
    await store(database, eventBundle(p, { attrs }));
    const { job } = await crawlSource(database, "events");
    expect(job.stats.items.saved).toBe(6);
    expect(site.count(`${p}/author/x`)).toBe(1);
    expect(site.count(`${p}/author/y`)).toBe(1);
    const byTitle = (await storedItems(database)).sort((a, b) => String(a.title).localeCompare(String(b.title)));
    expect(byTitle.map((i) => i.description)).toEqual(["Author Y", "Author X", "Author Y", "Author X", "Author Y", "Author X"]);
  });

  test("{attr} placeholders fill detail URLs and values; a save_to_db: false attr serves as placeholder only", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, html(`<div class="event" data-id="42"><h2>Answer</h2></div>`));
    site.set(`${p}/api/42.json`, JSON.stringify({ body: "forty-two" }));
    const database = await tempDatabase();
    await store(database, {
      classes: [
        {
          name: "E",
          attrs: [
            { name: "base", attr_type: "B" },
            { name: "id", attr_type: "S", save_to_db: false },
            { name: "title", attr_type: "S", id_field: true },
            { name: "api", attr_type: "U" },
            { name: "label", attr_type: "S" },
            { name: "body", attr_type: "S" },
          ],
        },
      ],
      scrapers: [
        {
          name: "e",
          class: "E",
          status: "MANUAL",
          page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "api", content_type: "JSON" }],
          elems: [
            { attr: "base", x_path: "//div[@class='event']" },
            { attr: "id", x_path: "@data-id" },
            { attr: "title", x_path: "h2/text()" },
            { attr: "api", processors: ["static"], proc_ctxt: { static: "api/{id}.json" } },
            { attr: "label", processors: ["static"], proc_ctxt: { static: "#{id}: {title}" } },
            { attr: "body", x_path: "$.body", page_type: "DP1" },
          ],
        },
      ],
      sources: [{ name: "e", url: `${site.url}${p}/event_main.html`, scraper: "e" }],
    });
    const { job } = await crawlSource(database, "e");
    expect(job.stats.items.saved).toBe(1);
    expect(await storedItems(database)).toEqual([{ title: "Answer", api: `${site.url}${p}/api/42.json`, label: "#42: Answer", body: "forty-two" }]);
  });

  test("a failed detail page drops items whose mandatory detail value is missing, naming the failure", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, eventList([{ id: 1, title: "ok" }, { id: 99, title: "broken" }]));
    site.set(`${p}/event1.html`, eventDetail("fine"));
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const { job, logs } = await crawlSource(database, "events");
    expect(job.status).toBe("succeeded");
    expect(job.stats.items).toMatchObject({ saved: 1, dropped: { "missing mandatory description": 1 } });
    expect(job.stats.errors).toEqual({ http_404: 1 });
    expect(logs.find((l) => l.msg.includes("mandatory description is empty"))!.msg).toContain("DP1");
  });
});

describe("extraction details", () => {
  test("many attrs keep every match, reg_exp with a named group, relative XPaths reaching out of the base node", async () => {
    const p = prefix();
    site.set(
      `${p}/list`,
      html(`<section data-cat="books"><div class="q"><span>Price: 12 EUR</span><a class="t">x</a><a class="t">y</a></div></section><section data-cat="toys"><div class="q"><span>Price: 3 EUR</span></div></section>`),
    );
    const database = await tempDatabase();
    await store(database, {
      classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, { name: "price", attr_type: "S", id_field: true }, { name: "tags", attr_type: "S", many: true }, { name: "cat", attr_type: "S" }] }],
      scrapers: [
        {
          name: "q",
          class: "Q",
          status: "MANUAL",
          page_types: [{ page_type: "MP" }],
          elems: [
            { attr: "base", x_path: "//div[@class='q']" },
            { attr: "price", x_path: "span/text()", reg_exp: "Price: (?P<extract>\\d+)" },
            { attr: "tags", x_path: "a[@class='t']/text()", mandatory: false },
            { attr: "cat", x_path: "../@data-cat" },
          ],
        },
      ],
      sources: [{ name: "q", url: `${site.url}${p}/list`, scraper: "q" }],
    });
    await crawlSource(database, "q");
    expect(await storedItems(database)).toEqual([
      { price: "12", tags: ["x", "y"], cat: "books" },
      { price: "3", tags: [], cat: "toys" },
    ]);
  });

  test("malformed HTML still yields what can be read; a wrong content type is that page's error", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, `<div class="event"><h2>Unclosed<a href="event1.html">x</div><div class="event"><h2>Two</h2><a href=event2.html>y`);
    site.set(`${p}/event1.html`, eventDetail("one"));
    site.set(`${p}/event2.html`, { body: "%PDF-1.4", type: "application/pdf" });
    const database = await tempDatabase();
    const elems = [
      { attr: "base", x_path: "//div[@class='event']" },
      { attr: "title", x_path: "h2/text()" },
      { attr: "url", x_path: ".//a/@href" },
      { attr: "description", x_path: "//div[@class='description']/text()", page_type: "DP1", mandatory: false },
    ];
    await store(database, eventBundle(p, { elems }));
    const { job, logs } = await crawlSource(database, "events");
    expect(job.stats.items.saved).toBe(2);
    expect(job.stats.errors).toEqual({ content: 1 });
    expect(logs.some((l) => l.msg.includes("content type application/pdf is not HTML"))).toBe(true);
  });

  test("a binary page whose content type defers (octet-stream, none) is that page's error naming the content type", async () => {
    const p = prefix();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    site.set(`${p}/event_main.html`, { body: png, type: "application/octet-stream" });
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const { job, logs } = await crawlSource(database, "events");
    expect(job.status).toBe("failed");
    expect(job.stats.errors).toEqual({ content: 1 });
    expect(job.stats.pages_without_items).toBe(0);
    const error = logs.find((l) => l.level === "ERROR" && l.ref_object === `${site.url}${p}/event_main.html`);
    expect(error?.msg).toBe(`main page ${site.url}${p}/event_main.html: content type application/octet-stream: the body is not text (it holds NUL bytes), so it cannot be read as the page type's content_type`);
  });

  test("a main page where the base XPath matches nothing is a WARNING naming page and expression, counted in the stats", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, html(`<div class="redesigned"><h2>A</h2></div>`));
    site.set(`${p}/more.html`, eventList([{ id: 1, title: "One" }]));
    site.set(`${p}/event1.html`, eventDetail("d"));
    const database = await tempDatabase();
    const bundle = eventBundle(p);
    bundle.sources![0]!.urls = [`${site.url}${p}/more.html`];
    await store(database, bundle);
    const { job, logs } = await crawlSource(database, "events");
    expect(job.status).toBe("succeeded");
    expect(job.stats.pages.main).toBe(2);
    expect(job.stats.pages_without_items).toBe(1);
    expect(job.stats.items.saved).toBe(1);
    const warnings = logs.filter((l) => l.level === "WARNING");
    expect(warnings.map((l) => [l.msg, l.ref_object])).toEqual([
      [`main page ${site.url}${p}/event_main.html: the base XPath //div[@class='event'] matched nothing (no items on this page)`, `${site.url}${p}/event_main.html`],
    ]);
  });
});

describe("jobs and logs", () => {
  test("a dry run writes only its job and log rows", async () => {
    const p = prefix();
    fourEvents(p);
    const database = await tempDatabase();
    await store(database, eventBundle(p, { scraper: { status: "ACTIVE" } }));
    const before = await database.client.execute("SELECT (SELECT count(*) FROM items) i, (SELECT count(*) FROM scheduler_runtimes) r, (SELECT next_action_time FROM scheduler_runtimes) t");
    const { job, rows } = await crawlSource(database, "events", { dry_run: true });
    expect(job.status).toBe("succeeded");
    expect(job.dry_run).toBe(true);
    expect(job.stats.items.saved).toBe(4);
    expect(rows).toHaveLength(4);
    const after = await database.client.execute("SELECT (SELECT count(*) FROM items) i, (SELECT count(*) FROM scheduler_runtimes) r, (SELECT next_action_time FROM scheduler_runtimes) t");
    expect(after.rows).toEqual(before.rows);
    expect((await database.client.execute("SELECT count(*) AS n FROM page_validators")).rows[0]!.n).toBe(0);
  });

  test("a run with no main page fetched fails; page errors alone do not fail a run", async () => {
    const p = prefix();
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const { job } = await crawlSource(database, "events");
    expect(job.status).toBe("failed");
    expect(job.error).toBe("no main page could be fetched");
    expect(job.stats.errors).toEqual({ http_404: 1 });
  });

  test("log rows at or above the level, typed by log markers, pruned per scraper", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, eventList([{ id: 1, title: "a" }, { id: 2, title: "b" }, { id: 3, title: "c" }]));
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    await database.client.execute("INSERT INTO log_markers (message_contains, mark_with_type) VALUES ('HTTP 404', 'planned_error')");
    const defsLog = await crawlSource(database, "events");
    expect(defsLog.job.stats.errors.http_404).toBe(3);
    const rows = (await database.client.execute("SELECT level, type, message, job_id, scraper_id FROM logs ORDER BY id")).rows;
    const marked = rows.filter((r) => String(r.message).includes("HTTP 404"));
    // each 404 is logged as the page's error and again in the reason its item was dropped
    expect(marked.map((r) => `${r.level} ${r.type}`).sort()).toEqual([...Array(3).fill("ERROR planned_error"), ...Array(3).fill("WARNING planned_error")]);
    expect(rows.filter((r) => !String(r.message).includes("HTTP 404")).every((r) => r.type === null)).toBe(true);
    expect(rows.every((r) => r.job_id === defsLog.job.id && r.scraper_id === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.level))).toEqual(new Set(["INFO", "ERROR", "WARNING"]));
    // a run with a small limit keeps only the newest rows of the scraper
    const { runCrawlJob } = await import("../../src/jobs/crawl-job.ts");
    const { storedDefinitions } = await import("../../src/jobs/definitions.ts");
    const { Fetcher } = await import("../../src/fetch/fetcher.ts");
    const { TEST_FETCH } = await import("../support/crawl.ts");
    await runCrawlJob(
      { database, fetcher: new Fetcher(TEST_FETCH), clock: { now: () => new Date() }, env: { timeZone: "UTC", now: () => new Date() }, log: { level: "ERROR", limit: 2, sink: () => {} }, conditionalRequests: false },
      await storedDefinitions(database, "events"),
      { dry_run: false },
      { scheduled: false, updateSchedule: false },
      new AbortController().signal,
    );
    const kept = (await database.client.execute("SELECT level, job_id FROM logs ORDER BY id")).rows;
    expect(kept).toHaveLength(2);
    expect(kept.every((r) => r.level === "ERROR" && r.job_id === 2)).toBe(true);
  });

  test("two runs of one source never overlap: the second is refused naming the running job", async () => {
    const p = prefix();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    site.set(`${p}/event_main.html`, async () => {
      await gate;
      return new Response(eventList([]), { headers: { "content-type": "text/html" } });
    });
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const first = crawlSource(database, "events");
    while (site.count(`${p}/event_main.html`) === 0) await Bun.sleep(5);
    await expect(crawlSource(database, "events")).rejects.toThrow(/source "events" is already being crawled by job 1 \(running since /);
    release();
    expect((await first).job.status).toBe("succeeded");
    expect((await crawlSource(database, "events")).job.status).toBe("succeeded");
  });

  test("a crashed run's lease expires: its job is marked failed and no longer blocks the source", async () => {
    const p = prefix();
    fourEvents(p, 1);
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const stale = Date.now() - 61_000;
    await database.client.execute({ sql: "INSERT INTO jobs (kind, status, source_id, scraper_id, params, stats, created_at, started_at, heartbeat_at) VALUES ('crawl', 'running', 1, 1, '{}', '{}', ?, ?, ?)", args: [stale, stale, stale] });
    const { job } = await crawlSource(database, "events");
    expect(job.status).toBe("succeeded");
    const dead = (await database.client.execute("SELECT status, error FROM jobs WHERE id = 1")).rows[0]!;
    expect(dead.status).toBe("failed");
    expect(String(dead.error)).toContain("lease expired");
  });

  test("cancelling marks the job cancelled", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, eventList([{ id: 1, title: "slow" }]));
    site.set(`${p}/event1.html`, async () => {
      await Bun.sleep(3000);
      return new Response(eventDetail("late"), { headers: { "content-type": "text/html" } });
    });
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const controller = new AbortController();
    const run = crawlSource(database, "events", {}, {}, { signal: controller.signal });
    while (site.count(`${p}/event1.html`) === 0) await Bun.sleep(5);
    controller.abort(new Error("interrupted"));
    const { job } = await run;
    expect(job.status).toBe("cancelled");
    expect(job.finished_at).toBeInstanceOf(Date);
    expect((await storedItems(database))).toEqual([]);
  });
});

describe("re-crawls", () => {
  test("conditional requests: a 304 counts as unchanged without parsing", async () => {
    const p = prefix();
    fourEvents(p, 2);
    const etag = '"v1"';
    const body = eventList([{ id: 1, title: "Event 1" }, { id: 2, title: "Event 2" }]);
    site.set(`${p}/event_main.html`, (request) =>
      request.headers.get("if-none-match") === etag ? new Response(null, { status: 304 }) : new Response(body, { headers: { "content-type": "text/html", etag } }),
    );
    const database = await tempDatabase();
    await store(database, eventBundle(p));
    const first = await crawlSource(database, "events");
    expect(first.job.stats.items.saved).toBe(2);
    const second = await crawlSource(database, "events");
    expect(second.job.status).toBe("succeeded");
    expect(second.job.stats.pages).toMatchObject({ main: 0, not_modified: 1, detail: 0 });
    expect(second.job.stats.items_read).toBe(0);
    const hits = site.hits.filter((h) => h.path === `${p}/event_main.html`);
    expect(hits.map((h) => h.headers.get("if-none-match"))).toEqual([null, etag]);
    const noCache = await crawlSource(database, "events", {}, {}, { conditional: false });
    expect(noCache.job.stats.pages.main).toBe(1);
  });
});
