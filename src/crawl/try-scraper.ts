/**
 * @module
 * "Try it" (the admin's scraper editor): a scraper — saved or not — run as a dry run on the first main page of a
 * URL. The page goes through the same page step as a crawl, the detail pages of its first few items too, so the
 * items shown are the ones a crawl would read; and each elem's matches on those pages (`elem-matches.ts`) say
 * what its XPath selected. Nothing is stored. Problems (the fetch failed, HTTP 404, the base selects nothing)
 * come back in words.
 */
import { parsePage, type Page } from "../extract/document.ts";
import { elemMatches, type ElemMatch } from "../extract/elem-matches.ts";
import type { Values } from "../extract/extractor.ts";
import type { ProcessorEnv } from "../expressions/processors.ts";
import type { Fetcher, PageRequest, PageResponse } from "../fetch/fetcher.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";
import { isEmpty, mandatoryAttrs } from "./identity.ts";
import { fillValuePlaceholders } from "./item.ts";
import { detailPageStep, listPageStep, prepareList, stepContext, type LogLine, type StepContext } from "./page-step.ts";
import { planMainPages } from "./planner.ts";

/** Items shown, and the items whose detail pages are read (each costs requests to the site). */
export const TRY_ITEMS = 10;
export const TRY_DETAIL_ITEMS = 3;

export interface TryItem {
  values: Values;
  /** Why a crawl would not store it (a mandatory value missing), if it would not. */
  dropped?: string;
  /** False when its detail pages were not read here (only the first TRY_DETAIL_ITEMS items' are). */
  detailsRead: boolean;
  detailErrors: string[];
}

export interface TryResult {
  /** The main page asked for (the first page the scraper's pagination gives for the URL). */
  url: string;
  /** The HTTP status of the main page, when it answered. */
  status?: number;
  /** Why nothing (or not everything) could be read, in words. */
  problem?: string;
  elems: ElemMatch[];
  /** The next-page links the follow XPath found. */
  followLinks: string[];
  items: TryItem[];
  /** Items the main page gave in all (only the first TRY_ITEMS are shown). */
  itemCount: number;
  logs: LogLine[];
}

export interface TryDeps {
  fetcher: Pick<Fetcher, "fetch">;
  env: ProcessorEnv;
}

/** Runs `scraper` (of class `cls`) once on the first main page of `url`, as a dry run. */
export async function tryScraper(deps: TryDeps, cls: ScrapedClassBody, scraper: ScraperBody, url: string, signal: AbortSignal): Promise<TryResult> {
  const result: TryResult = { url, elems: [], followLinks: [], items: [], itemCount: 0, logs: [] };
  const pages = new Map<string, PageResponse>();
  // The step keeps the bodies to itself; the matches need them, so the fetcher hands each answer over too.
  const recording: Pick<Fetcher, "fetch"> = {
    fetch: async (request: PageRequest, s?: AbortSignal) => {
      const response = await deps.fetcher.fetch(request, s);
      pages.set(request.url, response);
      return response;
    },
  };
  let ctx: StepContext;
  let first: ReturnType<typeof planMainPages>[number] | undefined;
  try {
    ctx = stepContext({ classBody: cls, scraperBody: scraper }, { dry_run: true }, recording, deps.env);
    first = planMainPages(scraper, url)[0];
  } catch (e) {
    return { ...result, problem: message(e) };
  }
  if (!first) return { ...result, problem: "the pagination gives no main page for this URL" };
  result.url = first.url;
  const list = prepareList(ctx, { kind: "MP", url: first.url, vars: first.page === undefined ? {} : { page: first.page }, depth: 0 });
  const step = await listPageStep(ctx, list, signal);
  result.logs.push(...step.logs);
  result.followLinks = step.followUps.map((t) => t.url);
  const main = pages.get(list.request.url);
  result.status = main?.status;
  if (!main) return { ...result, problem: step.logs.map((l) => l.message).join("; ") || "the main page could not be fetched" };
  if (main.status >= 400) return { ...result, problem: `the main page answered HTTP ${main.status}` };
  const mainPage = parse(ctx, "MP", main);
  if ("problem" in mainPage) return { ...result, problem: `the main page could not be read: ${mainPage.problem}` };
  result.elems = elemMatches(cls, scraper, mainPage.page, "MP", deps.env, TRY_ITEMS);
  result.itemCount = step.items.length;
  if (step.items.length === 0) result.problem = `the base ${ctx.baseExpression} selects nothing on the main page: no items`;

  // The first items' detail pages, each page once; the first page of each type also shows its elems' matches.
  const shown = step.items.slice(0, TRY_ITEMS);
  const read = new Map<string, Promise<{ values?: Values; error?: string }>>();
  const matchedTypes = new Set<string>();
  const mandatory = mandatoryAttrs(cls.attrs, scraper.elems);
  for (const [i, item] of shown.entries()) {
    const detailsRead = i < TRY_DETAIL_ITEMS;
    if (detailsRead) {
      for (const need of item.details) {
        if (!read.has(need.key)) {
          read.set(
            need.key,
            detailPageStep(ctx, { kind: "DP", pageType: need.pageType, request: need.request, slot: need.key }, signal).then((d) => {
              result.logs.push(...d.logs);
              const response = pages.get(need.request.url);
              if (response && response.status < 400 && !matchedTypes.has(need.pageType)) {
                matchedTypes.add(need.pageType);
                const detail = parse(ctx, need.pageType, response);
                if ("page" in detail) result.elems.push(...elemMatches(cls, scraper, detail.page, need.pageType, deps.env));
              }
              return "values" in d.result ? { values: d.result.values } : { error: "error" in d.result ? d.result.error : "the run stopped" };
            }),
          );
        }
        const outcome = await read.get(need.key)!;
        if (outcome.values) Object.assign(item.values, outcome.values);
        else item.detailErrors.push(`${need.pageType} ${need.request.url}: ${outcome.error}`);
      }
    }
    fillValuePlaceholders(item.values, cls, item.pageUrl);
    const missing = detailsRead ? mandatory.filter((a) => isEmpty(item.values[a.name])).map((a) => a.name) : [];
    result.items.push({
      values: item.values,
      detailsRead: detailsRead || item.details.length === 0,
      detailErrors: item.detailErrors,
      ...(missing.length ? { dropped: `mandatory ${missing.length === 1 ? "attr" : "attrs"} ${missing.join(", ")} ${missing.length === 1 ? "has" : "have"} no value` } : {}),
    });
  }
  result.elems.sort((a, b) => a.elem - b.elem);
  return result;
}

function parse(ctx: StepContext, pageType: string, response: PageResponse): { page: Page } | { problem: string } {
  const type = pageType === "MP" ? ctx.mainType : ctx.detailTypes.find((t) => t.page_type === pageType);
  try {
    return { page: parsePage(response.body, response.headers.get("content-type"), type?.content_type ?? "HTML", response.url, type?.namespaces) };
  } catch (e) {
    return { problem: message(e) };
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
