/**
 * XML with namespaces, as XPath 1.0 users expect it (SPEC.md §2): real-shaped RSS 2.0 (dc, content, media), Atom
 * and a sitemap, read by the same parser and XPath engine as a crawl.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePage, type Page } from "../../src/extract/document.ts";
import { compileExtractor } from "../../src/extract/extractor.ts";
import { compileXPath } from "../../src/expressions/xpath.ts";
import { parseBundle, type BundleInput } from "../../src/model/bundle.ts";

const FEEDS = join(import.meta.dir, "../fixtures/feeds");
const ATOM = "http://www.w3.org/2005/Atom";
const SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9";

function feed(name: string, contentType: string, namespaces: Record<string, string> = {}): Page {
  return parsePage(readFileSync(join(FEEDS, name)), contentType, "XML", `https://example.org/${name}`, namespaces);
}

const strings = (page: Page, xpath: string) => (page.kind === "JSON" ? [] : compileXPath(xpath).strings(page.document));

describe("RSS 2.0 with dc:, content:, media: (prefixes declared by the document, used as written)", () => {
  const rss = feed("rss.xml", "application/rss+xml; charset=UTF-8");
  const cases: [string, string[]][] = [
    ["//item/title/text()", ["Council approves the new bridge", "Summer festival programme published"]],
    ["//item/dc:creator/text()", ["Jane Doe", "John Roe"]],
    ["//dc:creator/text()", ["Jane Doe", "John Roe"]],
    ["//pubDate/text()", ["Tue, 04 Jun 2024 08:15:00 +0000", "Mon, 03 Jun 2024 17:00:00 +0000"]],
    ["//item[1]/guid[@isPermaLink='false']/text()", ["https://news.example.org/?p=101"]],
    ["//item/guid/@isPermaLink", ["false", "false"]],
    ["//item[2]/content:encoded/text()", ["<p>Three days of music &amp; theatre.</p>"]],
    ["//item/media:content/@url", ["https://cdn.example.org/img/bridge.jpg?w=1200&h=630", "https://cdn.example.org/img/festival.jpg"]],
    ["//media:content[@url='https://cdn.example.org/img/bridge.jpg?w=1200&h=630']/@width", ["1200"]],
    ["//media:content[@medium='image']/media:title/text()", ["The bridge at dusk"]],
    ["//item/media:thumbnail/@url", ["https://cdn.example.org/img/bridge-150.jpg"]],
    ["//channel/atom:link/@href", ["https://news.example.org/feed/"]],
    ["//sy:updatePeriod/text()", ["hourly"]],
    ["//item[1]/category/text()", ["City", "Transport"]],
    ["//*[local-name()='creator']/text()", ["Jane Doe", "John Roe"]],
    ["//*[name()='dc:creator']/text()", ["Jane Doe", "John Roe"]],
    ["//item[1]/*[namespace-uri()='http://purl.org/dc/elements/1.1/']/text()", ["Jane Doe"]],
    ["local-name(//item[1]/dc:creator)", ["creator"]],
    ["name(//item[1]/dc:creator)", ["dc:creator"]],
    ["namespace-uri(//item[1]/dc:creator)", ["http://purl.org/dc/elements/1.1/"]],
    ["name(//item[1]/pubDate)", ["pubDate"]],
    ["namespace-uri(//item[1]/title)", [""]],
    ["name(//media:content/@medium)", ["medium"]],
    ["count(//*[namespace-uri()='http://search.yahoo.com/mrss/'])", ["5"]],
    ["count(//*)", ["33"]],
    ["//undeclared:creator/text()", []],
  ];
  test.each(cases)("%s", (xpath, expected) => {
    expect(strings(rss, xpath)).toEqual(expected);
  });

  test("an element keeps its prefixes when its markup is the value", () => {
    expect(strings(rss, "//item[2]/media:content")).toEqual([
      '<media:content url="https://cdn.example.org/img/festival.jpg" medium="image" width="800" height="600" />',
    ]);
  });
});

describe("Atom (a default namespace: the page type's namespaces give it a prefix)", () => {
  const atom = feed("atom.xml", "application/atom+xml", { atom: ATOM });
  const cases: [string, string[]][] = [
    ["//atom:entry/atom:title/text()", ["Faster builds with caching", "Hello, world"]],
    ["//atom:entry/atom:link[@rel='alternate' or not(@rel)]/@href", ["https://blog.example.org/2024/06/faster-builds", "https://blog.example.org/2024/05/hello"]],
    ["//atom:entry/atom:author/atom:name/text()", ["Ada Example", "Bob Example"]],
    ["//atom:entry[1]/atom:category/@term", ["build", "ci"]],
    ["/atom:feed/atom:entry[2]/atom:summary/text()", ["Our first post."]],
    ["/atom:feed/@xml:lang", ["en"]],
    ["namespace-uri(/*)", [ATOM]],
    // XPath 1.0: an unprefixed name is in no namespace, so it does not find Atom's elements.
    ["//entry", []],
    ["count(/feed)", ["0"]],
    // local-name() needs no declaration.
    ["//*[local-name()='entry']/*[local-name()='id']/text()", ["tag:blog.example.org,2024-06-04:/faster-builds", "tag:blog.example.org,2024-05-01:/hello"]],
  ];
  test.each(cases)("%s", (xpath, expected) => {
    expect(strings(atom, xpath)).toEqual(expected);
  });

  test("any prefix may name the namespace; without a declaration a prefix finds nothing", () => {
    expect(strings(feed("atom.xml", "application/atom+xml", { a: ATOM }), "//a:entry/a:id/text()")).toHaveLength(2);
    expect(strings(feed("atom.xml", "application/atom+xml"), "//atom:entry")).toEqual([]);
  });

  test("the page type's namespaces win over the document's own declaration of a prefix", () => {
    const page = parsePage(new TextEncoder().encode(`<r xmlns:dc="urn:old"><dc:a>old</dc:a><b xmlns="urn:new"><c>new</c></b></r>`), "application/xml", "XML", "https://x/", { dc: "urn:new" });
    expect(strings(page, "//dc:a/text()")).toEqual([]);
    expect(strings(page, "//dc:c/text()")).toEqual(["new"]);
  });
});

describe("a sitemap (default namespace, plus image: and xhtml: declared by the document)", () => {
  const sitemap = feed("sitemap.xml", "application/xml", { sm: SITEMAP });
  const cases: [string, string[]][] = [
    ["//sm:url/sm:loc/text()", ["https://shop.example.org/products/red-shoes", "https://shop.example.org/products/blue-hat"]],
    ["//sm:url[sm:changefreq='daily']/sm:loc/text()", ["https://shop.example.org/products/blue-hat"]],
    ["//sm:url/sm:lastmod/text()", ["2024-05-30", "2024-06-01"]],
    ["//sm:url/image:image/image:loc/text()", ["https://shop.example.org/img/red-shoes.jpg"]],
    ["//sm:url/xhtml:link[@hreflang='de']/@href", ["https://shop.example.org/de/products/red-shoes"]],
    ["count(//sm:url)", ["2"]],
  ];
  test.each(cases)("%s", (xpath, expected) => {
    expect(strings(sitemap, xpath)).toEqual(expected);
  });
});

describe("HTML keeps its names", () => {
  const page = parsePage(new TextEncoder().encode(`<div><P class="x">a</P><p>b</p><svg><circle r="1"/></svg></div>`), "text/html", "HTML", "https://x/");
  const cases: [string, string[]][] = [
    ["count(//*)", ["5"]],
    ["//p/text()", ["a", "b"]],
    ["//P[@CLASS='x']/text()", ["a"]],
    ["name(//p)", ["p"]],
    ["local-name(//div)", ["div"]],
    ["namespace-uri(//div)", ["http://www.w3.org/1999/xhtml"]],
    ["namespace-uri(//p/@class)", [""]],
  ];
  test.each(cases)("%s", (xpath, expected) => {
    expect(strings(page, xpath)).toEqual(expected);
  });
});

describe("the extractor on feeds", () => {
  function extract(bundle: BundleInput, page: Page) {
    const parsed = parseBundle(bundle);
    return compileExtractor(parsed.classes[0]!, parsed.scrapers[0]!).items(page, { timeZone: "UTC", now: () => new Date("2024-06-05T00:00:00Z") });
  }

  test("RSS items with prefixed elems, a date and an image URL", () => {
    const items = extract(
      {
        classes: [
          {
            name: "Post",
            attrs: [
              { name: "base", attr_type: "B" },
              { name: "title", attr_type: "S" },
              { name: "url", attr_type: "U" },
              { name: "author", attr_type: "S" },
              { name: "published", attr_type: "S" },
              { name: "body", attr_type: "S" },
              { name: "image", attr_type: "I" },
            ],
          },
        ],
        scrapers: [
          {
            name: "rss",
            class: "Post",
            page_types: [{ page_type: "MP", content_type: "XML" }],
            elems: [
              { attr: "base", x_path: "//item" },
              { attr: "title", x_path: "title/text()" },
              { attr: "url", x_path: "link/text()" },
              { attr: "author", x_path: "dc:creator/text()" },
              { attr: "published", x_path: "pubDate/text()", processors: ["date"], proc_ctxt: { date: "%a, %d %b %Y %H:%M:%S %z" } },
              { attr: "body", x_path: "content:encoded/text()" },
              { attr: "image", x_path: "media:content[@medium='image']/@url" },
            ],
          },
        ],
      },
      feed("rss.xml", "application/rss+xml"),
    );
    expect(items).toEqual([
      {
        title: "Council approves the new bridge",
        url: "https://news.example.org/2024/06/04/bridge/",
        author: "Jane Doe",
        published: "2024-06-04",
        body: "<p>The council voted <strong>7 to 2</strong> in favour.</p>",
        image: "https://cdn.example.org/img/bridge.jpg?w=1200&h=630",
      },
      {
        title: "Summer festival programme published",
        url: "https://news.example.org/2024/06/03/festival/",
        author: "John Roe",
        published: "2024-06-03",
        body: "<p>Three days of music &amp; theatre.</p>",
        image: "https://cdn.example.org/img/festival.jpg",
      },
    ]);
  });

  test("Atom entries through the page type's namespaces", () => {
    const bundle: BundleInput = {
      classes: [{ name: "Entry", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S" }, { name: "tags", attr_type: "S", many: true }] }],
      scrapers: [
        {
          name: "atom",
          class: "Entry",
          page_types: [{ page_type: "MP", content_type: "XML", namespaces: { atom: ATOM } }],
          elems: [
            { attr: "base", x_path: "//atom:entry" },
            { attr: "title", x_path: "atom:title/text()" },
            { attr: "tags", x_path: "atom:category/@term", mandatory: false },
          ],
        },
      ],
    };
    expect(extract(bundle, feed("atom.xml", "application/atom+xml", { atom: ATOM }))).toEqual([
      { title: "Faster builds with caching", tags: ["build", "ci"] },
      { title: "Hello, world" },
    ]);
  });
});
