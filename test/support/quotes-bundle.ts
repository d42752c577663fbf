/**
 * The bundle most crawl tests read their quotes site with: class Q and scraper q, whose list pages hold the items
 * as `div.q` blocks and link the next page with `a.next`.
 */
import type { z } from "zod";
import type { attrSchema } from "../../src/model/attr.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import type { elemSchema } from "../../src/model/elem.ts";
import type { pageTypeSchema } from "../../src/model/page-type.ts";

type AttrInput = z.input<typeof attrSchema>;

/**
 * One attr of Q after base and where it is read: an S attr unless `attr_type` says otherwise; `opens` makes it the
 * link to a detail page of that type, whose own fields name it as their `page_type`.
 */
export type QuoteField = Pick<AttrInput, "name"> &
  Partial<Pick<AttrInput, "attr_type">> &
  Omit<z.input<typeof elemSchema>, "attr"> & { opens?: z.input<typeof pageTypeSchema>["page_type"] };

/**
 * Q's attrs are base and `fields`, the first of them the id field; scraper q (or `options.scraper`) follows next
 * links from the source's page (no source without `source`), its items at `options.base` when the test needs
 * another XPath for them.
 */
export function nextLinkBundle(source: { name: string; url: string } | undefined, fields: readonly QuoteField[], options: { base?: string; scraper?: string } = {}): BundleInput {
  const scraper = options.scraper ?? "q";
  return {
    classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, ...fields.map(({ name, attr_type = "S" }, i) => (i === 0 ? { name, attr_type, id_field: true } : { name, attr_type }))] }],
    scrapers: [
      {
        name: scraper,
        class: "Q",
        status: "MANUAL",
        pagination_type: "FOLLOW",
        follow_pages_url_xpath: "//a[@class='next']/@href",
        page_types: [{ page_type: "MP" }, ...fields.flatMap((f) => (f.opens ? [{ page_type: f.opens, attr: f.name }] : []))],
        elems: [{ attr: "base", x_path: options.base ?? "//div[@class='q']" }, ...fields.map(({ name, attr_type, opens, ...where }) => ({ attr: name, ...where }))],
      },
    ],
    sources: source ? [{ ...source, scraper }] : [],
  };
}
