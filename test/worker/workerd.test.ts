/**
 * The core inside workerd, unchanged: a test Worker (test/worker/app) under `wrangler dev` runs the BlobStore
 * conformance cases against R2, crawls of a fixture site served here (the cases of test/crawl/crawl.test.ts named
 * below, with the same expectations), photon's workerd build, and the Worker's Database port over HTTP against
 * the Hrana test server; and wrangler's local Queues are pinned down for the queue driver to build on.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { MIGRATIONS } from "../../src/db/migrations.gen.ts";
import { imageFileName } from "../../src/images/keys.ts";
import { probeImage } from "../../src/images/probe.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import { BLOB_STORE_CASES, type CaseOutcome } from "../images/blob-store-conformance.ts";
import { gradient, pixels, png, pngClaiming } from "../images/encoders.ts";
import { ROOT } from "../support/cli.ts";
import { startHranaServer, type HranaServer } from "../support/hrana-server.ts";
import { html, startSite } from "../support/site.ts";
import { useWorker } from "../support/worker.ts";
import type { ProbeMessage } from "./app/index.ts";

const site = startSite({});
const servers: HranaServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await site.close();
  for (const s of servers) await s.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const worker = useWorker({ config: join(ROOT, "test/worker/app/wrangler.toml") });

/** A fresh database behind its own Hrana server, as the Worker reaches Turso. */
async function remoteDatabase(authToken?: string): Promise<{ url: string; dbPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), "dscraper-workerd-db-"));
  dirs.push(dir);
  const dbPath = join(dir, "remote.db");
  const server = await startHranaServer({ dbPath, ...(authToken ? { authToken } : {}) });
  servers.push(server);
  return { url: server.url, dbPath };
}

async function post<T>(path: string, body: unknown): Promise<{ status: number; body: T & { error?: string } }> {
  const response = await worker.current.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as T & { error?: string } };
}

interface Crawled {
  job: { status: string; error: string | null; stats: { pages: Record<string, number>; items: Record<string, unknown> } };
  items: Record<string, unknown>[];
  logs: string[];
}

/** Imports `bundle` into a fresh database and crawls `source` inside workerd. */
async function crawlInWorkerd(bundle: BundleInput, source: string, options: Record<string, unknown> = {}): Promise<Crawled> {
  const { url } = await remoteDatabase();
  const { status, body } = await post<Crawled>("/crawl", { databaseUrl: url, bundle, source, options });
  if (status !== 200) throw new Error(`the test Worker failed: ${JSON.stringify(body)}`);
  return body;
}

describe("the test Worker runs as the real one does", () => {
  test("same compatibility date and flags as wrangler.toml", async () => {
    const parse = async (path: string) => Bun.TOML.parse(await Bun.file(join(ROOT, path)).text()) as Record<string, unknown>;
    const [real, test] = await Promise.all([parse("wrangler.toml"), parse("test/worker/app/wrangler.toml")]);
    expect([test.compatibility_date, test.compatibility_flags]).toEqual([real.compatibility_date, real.compatibility_flags]);
  });
});

describe("BlobStore conformance: R2BlobStore in workerd (wrangler's local R2)", () => {
  test("every case of the suite passes, none skipped", async () => {
    const { status, body } = await post<{ outcomes: CaseOutcome[] }>("/blob-store/conformance", {});
    expect(status).toBe(200);
    expect(BLOB_STORE_CASES.length).toBeGreaterThan(0);
    expect(body.outcomes).toHaveLength(BLOB_STORE_CASES.length);
    expect(body.outcomes.map((o) => o.name)).toEqual(BLOB_STORE_CASES.map((c) => c.name));
    expect(body.outcomes.filter((o) => !o.ok)).toEqual([]);
  });

  test("list goes on past one page of R2's listing (1000 names)", async () => {
    const { status, body } = await post<{ listed: string[] }>("/blob-store/list-pages", { count: 1001 });
    expect(status).toBe(200);
    expect(body.listed).toHaveLength(1001);
    expect(new Set(body.listed).size).toBe(1001);
    expect([...body.listed].sort()).toEqual(Array.from({ length: 1001 }, (_, i) => `many/${String(i).padStart(5, "0")}.jpg`));
  });
});

// The fixtures below copy those of test/crawl/crawl.test.ts, whose cases of the same names they repeat.
let prefixCounter = 0;
const prefix = () => `/w${++prefixCounter}`;

function eventList(events: { id: number; title: string }[]): string {
  return html(`<h1>Events</h1>${events.map((e) => `<div class="event"><h2>${e.title}</h2><a href="event${e.id}.html">more</a></div>`).join("")}`);
}

const eventDetail = (description: string) => html(`<div class="description">${description}</div>`);

function eventBundle(p: string): BundleInput {
  return {
    classes: [
      {
        name: "Event",
        attrs: [
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
        elems: [
          { attr: "base", x_path: "//div[@class='event']" },
          { attr: "title", x_path: "h2/text()" },
          { attr: "url", x_path: "a/@href" },
          { attr: "description", x_path: "//div[@class='description']/text()", page_type: "DP1" },
        ],
      },
    ],
    sources: [{ name: "events", url: `${site.url}${p}/event_main.html`, scraper: "events" }],
  };
}

function listBundle(p: string, scraper: object, start: string): BundleInput {
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

const titles = (items: Record<string, unknown>[]) => items.map((i) => String(i.title)).sort();

describe("test/crawl/crawl.test.ts cases, crawled by the core inside workerd", () => {
  test("4 items from a list page with descriptions from their detail pages", async () => {
    const p = prefix();
    const events = [1, 2, 3, 4].map((id) => ({ id, title: `Event ${id}` }));
    site.set(`${p}/event_main.html`, eventList(events));
    for (const e of events) site.set(`${p}/event${e.id}.html`, eventDetail(`Description of event ${e.id}`));
    const { job, items } = await crawlInWorkerd(eventBundle(p), "events");
    expect(job.status).toBe("succeeded");
    expect(job.stats.items).toMatchObject({ saved: 4, updated: 0, unchanged: 0, dropped: {} });
    expect(job.stats.pages).toMatchObject({ main: 1, detail: 4, failed: 0 });
    const byTitle = [...items].sort((a, b) => String(a.title).localeCompare(String(b.title)));
    expect(byTitle).toEqual([1, 2, 3, 4].map((i) => ({ title: `Event ${i}`, url: `${site.url}${p}/event${i}.html`, description: `Description of event ${i}` })));
  });

  test("an XML feed", async () => {
    const p = prefix();
    site.set(
      `${p}/feed.xml`,
      `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item><title>First &amp; best</title><link>${site.url}${p}/a</link><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate></item><item><title><![CDATA[Second <b>one</b>]]></title><link>${site.url}${p}/b</link></item></channel></rss>`,
    );
    const { job, items } = await crawlInWorkerd(
      {
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
      },
      "feed",
    );
    expect(job.status).toBe("succeeded");
    expect(items).toEqual([
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
    const { job, items } = await crawlInWorkerd(
      {
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
      },
      "api",
    );
    expect(job.stats.items).toMatchObject({ saved: 2 });
    expect(items).toEqual([
      { name: "Alpha", api: `${site.url}${p}/api/item/1`, page: `${site.url}/pages/alpha.html`, price: "12.5", tags: ["a", "b"], summary: "Alpha is first" },
      { name: "Beta", api: `${site.url}${p}/api/item/2`, page: `${site.url}/pages/beta.html`, price: "7", tags: [], summary: "Beta is second" },
    ]);
  });

  test("unicode on main and detail pages", async () => {
    const p = prefix();
    site.set(`${p}/event_main.html`, html(`<div class="event"><h2>Zürich – “Wörter” 日本語 🎉</h2><a href="event%C3%BC.html">mehr</a></div>`));
    site.set(`${p}/event%C3%BC.html`, eventDetail("Ελληνικά &amp; Ørsted’s 𝄞"));
    const { job, items } = await crawlInWorkerd(eventBundle(p), "events");
    expect(job.stats.items).toMatchObject({ saved: 1 });
    expect(items).toEqual([{ title: "Zürich – “Wörter” 日本語 🎉", url: `${site.url}${p}/event%C3%BC.html`, description: "Ελληνικά & Ørsted’s 𝄞" }]);
  });

  test("a page in ISO-8859-1 (declared in a meta tag) is decoded", async () => {
    const p = prefix();
    const encode = (s: string) => new TextEncoder().encode(s);
    const latin1 = new Uint8Array([...encode('<html><head><meta charset="iso-8859-1"></head><body><div class="event"><h2>Caf'), 0xe9, ...encode('</h2><a href="e1.html">x</a></div></body></html>')]);
    site.set(`${p}/event_main.html`, { body: latin1, type: "text/html" });
    site.set(`${p}/e1.html`, eventDetail("d"));
    const { items } = await crawlInWorkerd(eventBundle(p), "events");
    expect(items.map((i) => i.title)).toEqual(["Café"]);
  });

  test("RANGE_FUNCT '1, 3' with '{page}.html' reads the bare URL then pages 1 and 2", async () => {
    const p = prefix();
    const pages: Record<string, string> = { "/list/": "bare", "/list/1.html": "one", "/list/2.html": "two", "/list/3.html": "three" };
    for (const [path, title] of Object.entries(pages)) site.set(`${p}${path}`, html(`<div class="event"><h2>${title}</h2></div>`));
    const { job, items } = await crawlInWorkerd(listBundle(p, { pagination_type: "RANGE_FUNCT", pagination_append_str: "{page}.html", pagination_page_replace: "1, 3" }, "/list/"), "rows");
    expect(job.stats.pages.main).toBe(3);
    expect(titles(items)).toEqual(["bare", "one", "two"]);
  });

  test("FOLLOW stops after num_pages_follow hops, and when there is no next link", async () => {
    const p = prefix();
    for (let i = 1; i <= 6; i++) {
      site.set(`${p}/list/${i}`, html(`<div class="event"><h2>page ${i}</h2></div>${i < 6 ? `<li class="next"><a href="${i + 1}">next</a></li>` : ""}`));
    }
    const follow = { pagination_type: "FOLLOW", follow_pages_url_xpath: "//li[@class='next']/a/@href" };
    const limited = await crawlInWorkerd(listBundle(p, { ...follow, num_pages_follow: 2 }, "/list/1"), "rows");
    expect(limited.job.stats.pages).toMatchObject({ main: 1, follow: 2 });
    expect(titles(limited.items)).toEqual(["page 1", "page 2", "page 3"]);
    expect((await crawlInWorkerd(listBundle(p, follow, "/list/1"), "rows")).job.stats.pages.follow).toBe(5);
    expect((await crawlInWorkerd(listBundle(p, { ...follow, num_pages_follow: 2 }, "/list/1"), "rows", { num_pages_follow: 4 })).job.stats.pages.follow).toBe(4);
  });

  test("many attrs keep every match, reg_exp with a named group, relative XPaths reaching out of the base node", async () => {
    const p = prefix();
    site.set(
      `${p}/list`,
      html(`<section data-cat="books"><div class="q"><span>Price: 12 EUR</span><a class="t">x</a><a class="t">y</a></div></section><section data-cat="toys"><div class="q"><span>Price: 3 EUR</span></div></section>`),
    );
    const { items } = await crawlInWorkerd(
      {
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
      },
      "q",
    );
    expect(items).toEqual([
      { price: "12", tags: ["x", "y"], cat: "books" },
      { price: "3", tags: [], cat: "toys" },
    ]);
  });
});

describe("photon's workerd build: a picture downloaded, thumbnailed and stored in R2 inside workerd", () => {
  test("a 600×400 PNG becomes a 600×400 JPEG and a 170×113 thumbnail under their keys", async () => {
    const path = `${prefix()}/picture.png`;
    site.set(path, { body: await png(600, 400, pixels(600, 400, gradient(600, 400))), type: "image/png" });
    const url = `${site.url}${path}`;
    const { status, body } = await post<{ keys: string[]; files: Record<string, string> }>("/image", { url, settings: { format: "ALL", thumbs: { small: [170, 170] }, maxPixels: 5_000_000 } });
    expect(status).toBe(200);
    const name = await imageFileName(url);
    expect(body.keys).toEqual([`full/${name}`, `thumbs/small/${name}`]);
    const header = (key: string) => probeImage(Uint8Array.from(atob(body.files[key]!), (c) => c.charCodeAt(0)));
    expect(header(`full/${name}`)).toMatchObject({ type: "jpeg", width: 600, height: 400 });
    expect(header(`thumbs/small/${name}`)).toMatchObject({ type: "jpeg", width: 170, height: 113 });
  });

  test("a picture over the Worker's pixel cap is refused from its header, before decoding", async () => {
    const path = `${prefix()}/huge.png`;
    site.set(path, { body: await pngClaiming(3000, 2000), type: "image/png" });
    const { status, body } = await post("/image", { url: `${site.url}${path}`, settings: { maxPixels: 5_000_000 } });
    expect(status).toBe(500);
    expect(body.error).toBe("ImageError: PNG of 3000×2000 = 6000000 pixels is over the limit of 5000000");
  });
});

describe("the Worker's Database port (@libsql/client/web) inside workerd, against the Hrana test server", () => {
  test("opening migrates the database; a write and a read go through it, with the token", async () => {
    const { url, dbPath } = await remoteDatabase("secret-token");
    const p = prefix();
    const { status, body } = await post<{ applied: string[]; imported: unknown; loaded: unknown }>("/database", { databaseUrl: url, authToken: "secret-token", bundle: eventBundle(p), source: "events" });
    expect(status).toBe(200);
    expect(body.applied).toEqual(MIGRATIONS.map((m) => m.tag));
    expect(body.imported).toMatchObject({ classes: { created: 1 }, scrapers: { created: 1 }, sources: { created: 1 } });
    expect(body.loaded).toEqual({ source: "events", scraper: "events", url: `${site.url}${p}/event_main.html` });
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.prepare("SELECT name, url FROM sources").all()).toEqual([{ name: "events", url: `${site.url}${p}/event_main.html` }]);
    } finally {
      db.close();
    }
  });

  test("a wrong token is refused by the server, and the port says so", async () => {
    const { url } = await remoteDatabase("secret-token");
    const { status, body } = await post("/database", { databaseUrl: url, authToken: "wrong", bundle: eventBundle(prefix()), source: "events" });
    expect(status).toBe(500);
    expect(body.error).toStartWith(`UnavailableError: database ${url}: `);
    expect(body.error).toContain("401");
  });
});

describe("wrangler's local Queues (what the queue driver's tests can rely on)", () => {
  interface Delivery {
    queue: string;
    id: string;
    attempts: number;
    tag: string;
  }
  const deliveries: Delivery[] = [];
  const recorder = `${site.url}/queue-recorder`;
  site.set("/queue-recorder", (_request, hit) => {
    deliveries.push(JSON.parse(hit.body) as Delivery);
    return new Response("ok");
  });
  const of = (tag: string) => deliveries.filter((d) => d.tag === tag);
  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let waited = 0; !condition(); waited += 100) {
      if (waited > 60_000) throw new Error(`waited 60 s for ${what}; deliveries: ${JSON.stringify(deliveries)}`);
      await Bun.sleep(100);
    }
  }
  const message = (tag: string, action: ProbeMessage["action"], pad = ""): ProbeMessage => ({ recorder, tag, action, pad });

  test("an acked message comes once; one retried every time comes 1 + max_retries times, then to the DLQ with its id", async () => {
    const { status } = await post("/queue/send", { messages: [message("acked", "ack"), message("failing", "retry")] });
    expect(status).toBe(200);
    await until(() => of("failing").some((d) => d.queue === "probe-dlq"), "the failing message in the dead-letter queue");
    const failing = of("failing");
    expect(failing.map((d) => [d.queue, d.attempts])).toEqual([
      ["probe", 1],
      ["probe", 2],
      ["probe", 3],
      ["probe-dlq", 1],
    ]);
    expect(new Set(failing.map((d) => d.id)).size).toBe(1);
    expect(of("acked").map((d) => [d.queue, d.attempts])).toEqual([["probe", 1]]);
  });

  test("sendBatch refuses more than 100 messages, a batch over 256 KB and a message over 128 KB; 100 small ones go", async () => {
    const many = (n: number, tag: string, pad = "") => Array.from({ length: n }, () => message(tag, "ack", pad));
    for (const [messages, batch] of [
      [many(101, "refused"), true],
      [many(3, "refused", "x".repeat(100_000)), true],
      [many(1, "refused", "x".repeat(130_000)), false],
    ] as const) {
      const { status, body } = await post("/queue/send", { messages, batch });
      expect(status).toBe(500);
      expect(body.error).toBeString();
    }
    expect((await post("/queue/send", { messages: many(100, "hundred"), batch: true })).status).toBe(200);
    await until(() => of("hundred").length === 100, "100 deliveries");
    // Local delivery is in order: had any refused message been queued, it would have come before these.
    expect(of("refused")).toEqual([]);
  });
});
