/**
 * @module
 * Pagination settings → the main pages of one run (SPEC.md §3). Pure: no I/O, table-tested.
 */
import { ValidationError } from "../errors.ts";
import { fill } from "../extract/placeholders.ts";
import { freeListPages, rangePages } from "../model/page-replace.ts";
import type { RunOptions } from "../model/run-options.ts";
import type { ScraperBody } from "../model/scraper.ts";

export interface MainPage {
  url: string;
  /** The `{page}` value that made this URL (generated pages only). */
  page?: string;
}

type Pagination = Pick<ScraperBody, "pagination_type" | "pagination_on_start" | "pagination_append_str" | "pagination_page_replace">;

export function planMainPages(scraper: Pagination, startUrl: string, options: Pick<RunOptions, "start_page" | "end_page"> = {}): MainPage[] {
  const type = scraper.pagination_type;
  if (type !== "RANGE_FUNCT" && type !== "FREE_LIST") {
    for (const field of ["start_page", "end_page"] as const) {
      if (options[field] !== undefined) throw new ValidationError([{ path: field, message: `only applies to RANGE_FUNCT and FREE_LIST pagination, not ${type}` }]);
    }
    return [{ url: startUrl }];
  }
  const generated = type === "RANGE_FUNCT" ? rangePages(scraper.pagination_page_replace) : freeListPages(scraper.pagination_page_replace);
  // The definition was validated on the way in; a stored one that no longer parses is still refused clearly.
  if ("error" in generated) throw new ValidationError([{ path: "pagination_page_replace", message: generated.error }]);
  const values = window(generated.values, options);
  const pages = values.map((page) => ({ url: joinUrl(startUrl, fill(scraper.pagination_append_str, { page })), page }));
  // A page window means "these pages": the bare start URL, which comes before the first page, is not one of them.
  const bareFirst = !scraper.pagination_on_start && options.start_page === undefined && options.end_page === undefined;
  return bareFirst ? [{ url: startUrl }, ...pages] : pages;
}

/** `start_page` … `end_page`, inclusive, by page value as DDS does. */
function window(values: string[], { start_page, end_page }: Pick<RunOptions, "start_page" | "end_page">): string[] {
  const indexOf = (bound: string | number, field: string) => {
    const i = values.indexOf(String(bound));
    if (i === -1) {
      const shown = values.length > 8 ? [...values.slice(0, 8), "…"] : values;
      throw new ValidationError([{ path: field, message: `${bound} is not one of the generated pages (${shown.join(", ")})` }]);
    }
    return i;
  };
  const from = start_page === undefined ? 0 : indexOf(start_page, "start_page");
  const to = end_page === undefined ? values.length - 1 : indexOf(end_page, "end_page");
  if (to < from) throw new ValidationError([{ path: "end_page", message: `${end_page} comes before start_page ${start_page}` }]);
  return values.slice(from, to + 1);
}

/**
 * The append string appended to the start URL as it is, as DDS does (`…/event_main` + `{page}.html` →
 * `…/event_main1.html`); only a doubled "/" at the join is collapsed, so `http://x.org/` + `/articles/{page}`
 * gives `http://x.org/articles/0` (DDS's own example). The result is then parsed as a browser would, so
 * "../{page}/" steps up from the start page.
 */
export function joinUrl(base: string, append: string): string {
  const joined = base.endsWith("/") && append.startsWith("/") ? base + append.slice(1) : base + append;
  try {
    return new URL(joined).href;
  } catch {
    return joined;
  }
}
