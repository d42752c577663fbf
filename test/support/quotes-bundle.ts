/**
 * The bundles most crawl tests read their quotes sites with: class Q and scraper q, whose list pages hold the
 * items as `div.q` blocks (and, for `nextLinkBundle`, link the next page with `a.next`).
 */
import type { z } from "zod";
import type { attrSchema } from "../../src/model/attr.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import type { elemSchema } from "../../src/model/elem.ts";
import type { pageTypeSchema } from "../../src/model/page-type.ts";
import type { scraperSchema } from "../../src/model/scraper.ts";

type AttrInput = z.input<typeof attrSchema>;

/**
 * One attr of Q after base and where it is read: an S attr unless `attr_type` says otherwise; `opens` makes it the
 * link to a detail page of that type, whose own fields name it as their `page_type`.
 */
export type QuoteField = Pick<AttrInput, "name"> &
  Partial<Pick<AttrInput, "attr_type" | "many">> &
  Omit<z.input<typeof elemSchema>, "attr"> & { opens?: z.input<typeof pageTypeSchema>["page_type"] };

interface QuoteOptions {
  /** Where the items are, when the test needs another XPath than `//div[@class='q']`. */
  base?: string;
  /** Scraper q's own settings where a test needs others (its name, status, checkers…). */
  scraper?: Partial<z.input<typeof scraperSchema>>;
}

/**
 * Q's attrs are base and `fields`, the first of them the id field; scraper q reads one list page from the
 * source's URL (no source without `source`).
 */
export function listPageBundle(source: { name: string; url: string } | undefined, fields: readonly QuoteField[], options: QuoteOptions = {}): BundleInput {
  const scraper = options.scraper?.name ?? "q";
  return {
    classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, ...fields.map(({ name, attr_type = "S", many }, i) => ({ name, attr_type, ...(many ? { many } : {}), ...(i === 0 ? { id_field: true } : {}) }))] }],
    scrapers: [
      {
        name: scraper,
        class: "Q",
        status: "MANUAL",
        page_types: [{ page_type: "MP" }, ...fields.flatMap((f) => (f.opens ? [{ page_type: f.opens, attr: f.name }] : []))],
        elems: [{ attr: "base", x_path: options.base ?? "//div[@class='q']" }, ...fields.map(({ name, attr_type, many, opens, ...where }) => ({ attr: name, ...where }))],
        ...options.scraper,
      },
    ],
    sources: source ? [{ ...source, scraper }] : [],
  };
}

/** The same, following the `a.next` link of every list page. */
export function nextLinkBundle(source: { name: string; url: string } | undefined, fields: readonly QuoteField[], options: QuoteOptions = {}): BundleInput {
  const bundle = listPageBundle(source, fields, options);
  return { ...bundle, scrapers: bundle.scrapers!.map((s) => ({ ...s, pagination_type: "FOLLOW", follow_pages_url_xpath: "//a[@class='next']/@href" })) };
}
