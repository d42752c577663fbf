/**
 * @module
 * An item between its main page and the pipeline: the detail pages it needs (SPEC.md §3: each DETAIL_PAGE_URL
 * attr with a detail page type), and, once they are all read, its placeholders filled.
 */
import type { Values } from "../extract/extractor.ts";
import { absoluteUrl, fill } from "../extract/placeholders.ts";
import type { PageRequest } from "../fetch/fetcher.ts";
import type { PageType } from "../model/page-type.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import { buildRequest, requestKey } from "./request.ts";

/** An item whose pages have all been read. */
export interface ReadItem {
  values: Values;
  /** The page the item was read from. */
  pageUrl: string;
  /** Why a detail page contributed nothing (the pipeline names it when a mandatory value is missing). */
  detailErrors: string[];
}

/** One detail page an item needs. */
export interface DetailNeed {
  pageType: string;
  request: PageRequest;
  /** The page type and request: items needing the same key share one fetch of the page. */
  key: string;
  /** False when the page type sets `dont_filter`: the page is fetched for this item alone. */
  shared: boolean;
}

/** An item as read from its main or follow page, with the detail pages it still needs. */
export interface ItemRead extends ReadItem {
  details: DetailNeed[];
}

/**
 * The detail pages of an item read on `pageUrl`: each DETAIL_PAGE_URL value is made absolute (in `values` too)
 * and turned into its page type's request. A request that cannot be built is a detail error of the item.
 */
export function itemRead(values: Values, pageUrl: string, detailTypes: readonly PageType[]): ItemRead {
  const wanted = detailTypes.filter((dp) => typeof values[dp.attr!] === "string" && values[dp.attr!] !== "");
  const item: ItemRead = { values, pageUrl, detailErrors: [], details: [] };
  for (const dp of wanted) {
    const url = absoluteUrl(fill(values[dp.attr!] as string, values), pageUrl);
    values[dp.attr!] = url;
    let request: PageRequest;
    try {
      request = buildRequest(dp, url, values);
    } catch (e) {
      item.detailErrors.push(`${dp.page_type}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    item.details.push({ pageType: dp.page_type, request, key: `${dp.page_type} ${requestKey(request)}`, shared: !dp.dont_filter });
  }
  return item;
}

/**
 * Placeholders inside values are filled once all pages of the item are read, from its STANDARD values (also
 * those not saved); URL values are made absolute after filling.
 */
export function fillValuePlaceholders(values: Values, cls: ScrapedClassBody, pageUrl: string): void {
  const vars: Record<string, string | string[]> = {};
  for (const attr of cls.attrs) {
    const v = values[attr.name];
    if (v !== undefined && (attr.attr_type === "S" || attr.attr_type === "T")) vars[attr.name] = v;
  }
  for (const attr of cls.attrs) {
    const v = values[attr.name];
    if (v === undefined) continue;
    const url = attr.attr_type === "U" || attr.attr_type === "I";
    const one = (s: string) => (url ? absoluteUrl(fill(s, vars), pageUrl) : fill(s, vars));
    values[attr.name] = typeof v === "string" ? one(v) : v.map(one);
  }
}
