/**
 * A quotes site for the Worker's crawl tests, served here (127.0.0.1): list pages of quotes, each quote linking to
 * its author's page (shared by several quotes), each author page showing a photo (a real PNG). And the bundle that
 * crawls it, with RANGE_FUNCT pagination (every main page planned at the start) and the photo as an IMAGE attr
 * read on the author's page.
 */
import { gradient, pixels, png } from "../../images/encoders.ts";
import type { BundleInput } from "../../../src/model/bundle.ts";
import { html, startSite, type Page, type Site } from "../../support/site.ts";

export interface QuotesSite extends Site {
  pages: number;
  perPage: number;
  authors: number;
  /** The quotes the site shows, by text: their author. */
  expected: Map<string, string>;
}

export function quoteText(page: number, i: number): string {
  return `Quote ${page}.${i}`;
}

export function authorOf(page: number, i: number, authors: number): string {
  return `Author ${((page - 1) * 7 + i) % authors}`;
}

const slug = (author: string) => author.replace(/\s+/g, "-");

/** List page `page` of such a site: `perPage` quotes, each linking to its author's page. */
export function quotesPage(page: number, perPage: number, authors: number): string {
  const quotes: string[] = [];
  for (let i = 0; i < perPage; i++) {
    const author = authorOf(page, i, authors);
    quotes.push(`<div class="quote"><span class="text">${quoteText(page, i)}</span><small class="author">${author}</small><a href="/author/${slug(author)}/">about</a></div>`);
  }
  return html(quotes.join(""));
}

/** `pages` list pages of `perPage` quotes by `authors` authors (each with a photo). */
export async function startQuotesSite(pages: number, perPage: number, authors: number, extra: Record<string, Page> = {}): Promise<QuotesSite> {
  const routes: Record<string, Page> = {};
  const expected = new Map<string, string>();
  for (let p = 1; p <= pages; p++) {
    for (let i = 0; i < perPage; i++) expected.set(quoteText(p, i), authorOf(p, i, authors));
    routes[`/quotes/page/${p}/`] = quotesPage(p, perPage, authors);
  }
  const photo = await png(24, 16, pixels(24, 16, gradient(24, 16)));
  for (let a = 0; a < authors; a++) {
    const author = `Author ${a}`;
    routes[`/author/${slug(author)}/`] = html(`<h1>${author}</h1><span class="born">born ${1900 + a}</span><img class="photo" src="/img/${slug(author)}.png">`);
    routes[`/img/${slug(author)}.png`] = { body: photo, type: "image/png" };
  }
  const site = startSite({ ...routes, ...extra });
  return Object.assign(site, { pages, perPage, authors, expected });
}

/** The bundle crawling the site at `url` as source `name` (scraper `name`, class Quote). */
export function quotesBundle(url: string, name: string, pages: number, options: { status?: "ACTIVE" | "MANUAL"; className?: string; photo?: boolean; checker?: boolean } = {}): BundleInput {
  const cls = options.className ?? "Quote";
  const photo = options.photo ?? true;
  return {
    classes: [
      {
        name: cls,
        attrs: [
          { name: "base", attr_type: "B" },
          { name: "text", attr_type: "S", id_field: true },
          { name: "author", attr_type: "S" },
          { name: "url", attr_type: "U" },
          { name: "born", attr_type: "S" },
          ...(photo ? [{ name: "photo", attr_type: "I" as const }] : []),
        ],
      },
    ],
    scrapers: [
      {
        name,
        class: cls,
        status: options.status ?? "ACTIVE",
        ...(pages > 1 ? { pagination_type: "RANGE_FUNCT" as const, pagination_append_str: "../{page}/", pagination_page_replace: `2, ${pages + 1}` } : {}),
        page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }],
        // An author page that says "Gone" means the quote is gone.
        ...(options.checker ? { checkers: [{ attr: "url", checker_type: "404_OR_X_PATH" as const, checker_x_path: "//h1[text()='Gone']" }] } : {}),
        elems: [
          { attr: "base", x_path: "//div[@class='quote']" },
          { attr: "text", x_path: "span[@class='text']/text()" },
          { attr: "author", x_path: "small[@class='author']/text()" },
          { attr: "url", x_path: "a/@href" },
          { attr: "born", x_path: "//span[@class='born']/text()", page_type: "DP1" },
          ...(photo ? [{ attr: "photo", x_path: "//img[@class='photo']/@src", page_type: "DP1" as const }] : []),
        ],
      },
    ],
    sources: [{ name, url: `${url}/quotes/page/1/`, scraper: name }],
  };
}
