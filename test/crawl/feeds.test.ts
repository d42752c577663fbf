/**
 * Feeds crawled end to end (SPEC.md §2): RSS 2.0 with dc:/content:/media:, Atom and a sitemap served by a real
 * local server with their real content types, read into a real database.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BundleInput } from "../../src/model/bundle.ts";
import { crawlSource, store, storedItems } from "../support/crawl.ts";
import { startSite } from "../support/site.ts";
import { tempDatabase } from "../support/temp.ts";

const FEEDS = join(import.meta.dir, "../fixtures/feeds");
const feed = (name: string, type: string) => ({ body: readFileSync(join(FEEDS, name), "utf8"), type });
const site = startSite({
  "/feed/": feed("rss.xml", "application/rss+xml; charset=UTF-8"),
  "/feed.atom": feed("atom.xml", "application/atom+xml; charset=utf-8"),
  "/sitemap.xml": feed("sitemap.xml", "application/xml"),
});
afterAll(() => site.close());

function oneScraper(name: string, attrs: object[], mp: object, elems: object[], path: string): BundleInput {
  return {
    classes: [{ name, attrs: [{ name: "base", attr_type: "B" }, ...attrs] as never }],
    scrapers: [{ name, class: name, status: "MANUAL", page_types: [{ page_type: "MP", content_type: "XML", ...mp }], elems: elems as never }],
    sources: [{ name, url: `${site.url}${path}`, scraper: name }],
  };
}

describe("crawling feeds with namespaces", () => {
  test("RSS 2.0: dc:creator, content:encoded and media:content addressed with the document's own prefixes", async () => {
    const database = await tempDatabase();
    await store(
      database,
      oneScraper(
        "Post",
        [
          { name: "url", attr_type: "S", id_field: true },
          { name: "title", attr_type: "S" },
          { name: "author", attr_type: "S" },
          { name: "body", attr_type: "S" },
          { name: "picture", attr_type: "S" },
          { name: "tags", attr_type: "S", many: true },
        ],
        {},
        [
          { attr: "base", x_path: "//channel/item" },
          { attr: "url", x_path: "link/text()" },
          { attr: "title", x_path: "title/text()" },
          { attr: "author", x_path: "dc:creator/text()" },
          { attr: "body", x_path: "content:encoded/text()" },
          { attr: "picture", x_path: "*[local-name()='content' and namespace-uri()='http://search.yahoo.com/mrss/']/@url" },
          { attr: "tags", x_path: "category/text()" },
        ],
        "/feed/",
      ),
    );
    const { job } = await crawlSource(database, "Post");
    expect(job.status).toBe("succeeded");
    expect(job.stats.pages_without_items).toBe(0);
    expect(await storedItems(database)).toEqual([
      {
        url: "https://news.example.org/2024/06/04/bridge/",
        title: "Council approves the new bridge",
        author: "Jane Doe",
        body: "<p>The council voted <strong>7 to 2</strong> in favour.</p>",
        picture: "https://cdn.example.org/img/bridge.jpg?w=1200&h=630",
        tags: ["City", "Transport"],
      },
      {
        url: "https://news.example.org/2024/06/03/festival/",
        title: "Summer festival programme published",
        author: "John Roe",
        body: "<p>Three days of music &amp; theatre.</p>",
        picture: "https://cdn.example.org/img/festival.jpg",
        tags: ["Culture"],
      },
    ]);
  });

  test("Atom: a default namespace given a prefix by the page type's namespaces", async () => {
    const database = await tempDatabase();
    await store(
      database,
      oneScraper(
        "Entry",
        [
          { name: "id", attr_type: "S", id_field: true },
          { name: "title", attr_type: "S" },
          { name: "link", attr_type: "S" },
          { name: "author", attr_type: "S" },
        ],
        { namespaces: { atom: "http://www.w3.org/2005/Atom" } },
        [
          { attr: "base", x_path: "/atom:feed/atom:entry" },
          { attr: "id", x_path: "atom:id/text()" },
          { attr: "title", x_path: "atom:title/text()" },
          { attr: "link", x_path: "atom:link[not(@rel) or @rel='alternate']/@href" },
          { attr: "author", x_path: "atom:author/atom:name/text()" },
        ],
        "/feed.atom",
      ),
    );
    const { job } = await crawlSource(database, "Entry");
    expect(job.stats.items.saved).toBe(2);
    expect(await storedItems(database)).toEqual([
      { id: "tag:blog.example.org,2024-06-04:/faster-builds", title: "Faster builds with caching", link: "https://blog.example.org/2024/06/faster-builds", author: "Ada Example" },
      { id: "tag:blog.example.org,2024-05-01:/hello", title: "Hello, world", link: "https://blog.example.org/2024/05/hello", author: "Bob Example" },
    ]);
  });

  test("a sitemap: its default namespace through namespaces, image: through the document's declaration", async () => {
    const database = await tempDatabase();
    await store(
      database,
      oneScraper(
        "Page",
        [
          { name: "loc", attr_type: "S", id_field: true },
          { name: "lastmod", attr_type: "S" },
          { name: "image", attr_type: "S" },
        ],
        { namespaces: { sm: "http://www.sitemaps.org/schemas/sitemap/0.9" } },
        [
          { attr: "base", x_path: "//sm:url" },
          { attr: "loc", x_path: "sm:loc/text()" },
          { attr: "lastmod", x_path: "sm:lastmod/text()" },
          { attr: "image", x_path: "image:image/image:loc/text()", mandatory: false },
        ],
        "/sitemap.xml",
      ),
    );
    await crawlSource(database, "Page");
    expect(await storedItems(database)).toEqual([
      { loc: "https://shop.example.org/products/red-shoes", lastmod: "2024-05-30", image: "https://shop.example.org/img/red-shoes.jpg" },
      { loc: "https://shop.example.org/products/blue-hat", lastmod: "2024-06-01", image: null },
    ]);
  });

  test("without the namespaces a default-namespace page gives no item, and says so", async () => {
    const database = await tempDatabase();
    await store(database, oneScraper("Loc", [{ name: "loc", attr_type: "S", id_field: true }], {}, [{ attr: "base", x_path: "//url" }, { attr: "loc", x_path: "loc/text()" }], "/sitemap.xml"));
    const { job, logs } = await crawlSource(database, "Loc");
    expect(job.stats.pages_without_items).toBe(1);
    expect(logs.some((l) => l.level === "WARNING" && l.msg.includes("the base XPath //url matched nothing"))).toBe(true);
  });
});
