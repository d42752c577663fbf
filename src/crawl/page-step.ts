/**
 * @module
 * The page step: one request of a crawl (a main, follow or detail page) → fetch → read → what it gave: items read
 * (each with the detail pages it needs), follow-up requests, the page's tally and its log lines. It keeps no
 * state but its inputs and what it returns; what a run remembers between steps is the run state's
 * (`run-state.ts`), and which step runs when is the driver's (`crawler.ts` in the binary, a queue consumer in the
 * Worker).
 */
import type { PageValidator } from "../db/validators.ts";
import type { FollowLink } from "../extract/extractor.ts";
import type { ProcessorEnv } from "../expressions/processors.ts";
import { FetchError } from "../fetch/errors.ts";
import { type Fetcher, type PageRequest, type PageResponse } from "../fetch/fetcher.ts";
import type { LogLevel } from "../model/enums.ts";
import type { PageType } from "../model/page-type.ts";
import type { RunOptions } from "../model/run-options.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";
import { itemRead, type ItemRead } from "./item.ts";
import { pageReader, readPage, type PageError, type PageInput, type PageOutput } from "./read-page.ts";
import { buildRequest, requestKey, UnsupportedRequestError } from "./request.ts";
import type { DetailResult, DetailTask, PageTally, RunLimits } from "./run-state.ts";

export type { DetailTask } from "./run-state.ts";

/** What a run reads: the definitions and where to start. */
export interface CrawlTarget {
  classBody: ScrapedClassBody;
  scraperBody: ScraperBody;
  /** The source's URL followed by its extra `urls` (or the run's `url` override alone). */
  startUrls: string[];
}

/** A main page (from the planner) or a follow page (from a follow link) to read. */
export interface ListTask {
  kind: "MP" | "FP";
  url: string;
  vars: Record<string, string>;
  /** Follow hops from the start page. */
  depth: number;
}

export type PageTask = ListTask | DetailTask;

/** A list page ready to fetch: its request, and the key that tells it apart from other requests of the run. */
export interface PreparedList {
  task: ListTask;
  request: PageRequest;
  key: string;
  dontFilter: boolean;
  /** The validators of the last answer, sent as a conditional request. */
  validator?: PageValidator;
}

export interface LogLine {
  level: LogLevel;
  message: string;
  ref?: string;
}

export interface ListStepResult {
  tally: PageTally;
  logs: LogLine[];
  followUps: ListTask[];
  items: ItemRead[];
  /** The answer's validators, to send with this request next run. */
  validator?: PageValidator;
}

export interface DetailStepResult {
  tally: PageTally;
  logs: LogLine[];
  /** The page's values, why it gave none, or `stopped` when the run stopped before it was read. */
  result: DetailResult;
}

/** What every step of a run shares: its definitions, compiled once, and the fetcher. */
export interface StepContext {
  mainType: PageType;
  /** FP, or MP's options under the name FP when FP is not defined (SPEC.md §1). */
  followType: PageType;
  /** The detail page types with an attr, in definition order. */
  detailTypes: PageType[];
  /** Whether list pages are read for follow links, and how many hops deep. */
  following: boolean;
  maxHops: number;
  fetcher: Pick<Fetcher, "fetch">;
  /** The base expression, for the warning about a main page where it matched nothing. */
  baseExpression: string;
  /** Reads a fetched page: `readPage` on this thread; a pool of threads can stand in (same input, same output). */
  read(input: PageInput, onLinks?: (links: FollowLink[]) => void): PageOutput | Promise<PageOutput>;
}

/** `read`: where pages are read when not on this thread (a run's reader from a pool of threads). */
export function stepContext(target: Pick<CrawlTarget, "classBody" | "scraperBody">, options: RunOptions, fetcher: Pick<Fetcher, "fetch">, env: ProcessorEnv, read?: StepContext["read"]): StepContext {
  const scraper = target.scraperBody;
  const rendered = scraper.page_types.find((p) => p.render_javascript);
  if (rendered) throw new UnsupportedRequestError(`${rendered.page_type}: render_javascript is not supported (no JavaScript renderer is configured)`);
  const mainType = scraper.page_types.find((p) => p.page_type === "MP")!;
  // Compiled here even when another thread reads: a definition that does not compile fails the run before any fetch.
  const reader = pageReader(target, env);
  return {
    mainType,
    followType: scraper.page_types.find((p) => p.page_type === "FP") ?? { ...mainType, page_type: "FP" },
    detailTypes: scraper.page_types.filter((p) => p.page_type.startsWith("DP") && p.attr !== undefined),
    following: scraper.pagination_type === "FOLLOW" || Boolean(scraper.follow_pages_url_xpath),
    maxHops: options.num_pages_follow ?? scraper.num_pages_follow ?? Infinity,
    fetcher,
    baseExpression: baseExpression(target),
    read: read ?? ((input, onLinks) => readPage(reader, input, onLinks)),
  };
}

/** "XPath //div[@class='quote']" (or JSONPath): what a user looks at when a page gave no items. */
function baseExpression(target: Pick<CrawlTarget, "classBody" | "scraperBody">): string {
  const base = target.classBody.attrs.find((a) => a.attr_type === "B");
  const elem = target.scraperBody.elems.find((e) => e.attr === base?.name);
  const json = target.scraperBody.page_types.find((p) => p.page_type === "MP")?.content_type === "JSON";
  return `${json ? "JSONPath" : "XPath"} ${elem?.x_path ?? ""}`;
}

/** The run's limits on what it reads. */
export function runLimits(scraper: Pick<ScraperBody, "max_items_read">, options: RunOptions): RunLimits {
  return { maxItems: options.max_items_read ?? scraper.max_items_read ?? Infinity, maxPages: options.max_pages_read ?? Infinity };
}

/** The request of a list task and its key (SPEC.md §3: the same request is fetched once per run). */
export function prepareList(ctx: StepContext, task: ListTask): PreparedList {
  const pageType = task.kind === "MP" ? ctx.mainType : ctx.followType;
  const request = buildRequest(pageType, task.url, task.vars);
  return { task, request, key: requestKey(request), dontFilter: pageType.dont_filter };
}

/**
 * Reads one main or follow page. `onFollowUps` hears the follow-up requests as soon as the page's links are read,
 * before its items (the in-process driver starts the next hop meanwhile); they are in the result either way.
 */
export async function listPageStep(ctx: StepContext, list: PreparedList, signal: AbortSignal, onFollowUps?: (tasks: ListTask[]) => void): Promise<ListStepResult> {
  const { task, validator } = list;
  const what = task.kind === "MP" ? "main page" : "follow page";
  const out: ListStepResult = { tally: {}, logs: [], followUps: [], items: [] };
  const request = { ...list.request };
  if (validator?.etag) request.headers = { ...request.headers, "If-None-Match": validator.etag };
  if (validator?.lastModified) request.headers = { ...request.headers, "If-Modified-Since": validator.lastModified };
  try {
    const response = await fetchPage(ctx, request, what, out, signal);
    if (!response) return out;
    if (response.status === 304) {
      out.tally.page = "not_modified";
      out.logs.push({ level: "INFO", message: `${what} ${response.url}: not modified since the last run`, ref: response.url });
      return out;
    }
    if (badStatus(response, what, out)) return out;
    const follow = ctx.following && task.depth < ctx.maxHops;
    const toTasks = (links: FollowLink[]) =>
      links.map((link): ListTask => ({ kind: "FP", url: link.url, vars: link.followPage === undefined ? {} : { follow_page: link.followPage }, depth: task.depth + 1 }));
    let heard = false;
    const hear = (links: FollowLink[]) => {
      heard = true;
      out.followUps = toTasks(links);
      onFollowUps?.(out.followUps);
    };
    const page = await ctx.read({ pageType: task.kind, url: response.url, contentType: response.headers.get("content-type"), body: response.body, followLinks: follow }, hear);
    if (!page.ok) return unreadable(out, what, response.url, page.error);
    for (const warning of page.warnings ?? []) out.logs.push({ level: "WARNING", message: `${what} ${response.url}: ${warning}`, ref: response.url });
    out.tally.page = task.kind === "MP" ? "main" : "follow";
    // A reader that only answers at the end (another thread) still gives the links.
    if (!heard && page.links.length) hear(page.links);
    if (page.error) return broken(out, task.url, page.error.message);
    if (task.kind === "MP" && page.items.length === 0) {
      out.tally.withoutItems = true;
      out.logs.push({ level: "WARNING", message: `main page ${response.url}: the base ${ctx.baseExpression} matched nothing (no items on this page)`, ref: response.url });
    }
    for (const values of page.items) out.items.push(itemRead(values, response.url, ctx.detailTypes));
    const etag = response.headers.get("etag") ?? undefined;
    const lastModified = response.headers.get("last-modified") ?? undefined;
    if (etag || lastModified) out.validator = { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
    return out;
  } catch (e) {
    if (signal.aborted) return out;
    // Anything not foreseen for one page is that page's failure, not the run's: the run goes on.
    return broken(out, task.url, e instanceof Error ? e.message : String(e));
  }
}

/** Reads one detail page: the values it gives every item that links to it. */
export async function detailPageStep(ctx: StepContext, task: DetailTask, signal: AbortSignal): Promise<DetailStepResult> {
  const what = `detail page ${task.pageType}`;
  const out: DetailStepResult = { tally: {}, logs: [], result: { error: "could not be fetched" } };
  try {
    const response = await fetchPage(ctx, task.request, what, out, signal);
    if (!response) {
      // Not read because the run stopped: no result, so its items are not stored half-read (see run-state.ts).
      if (signal.aborted) out.result = { stopped: true };
      return out;
    }
    if (badStatus(response, what, out)) {
      out.result = { error: `HTTP ${response.status}` };
      return out;
    }
    const page = await ctx.read({ pageType: task.pageType, url: response.url, contentType: response.headers.get("content-type"), body: response.body, followLinks: false });
    if (!page.ok) {
      out.result = { error: page.error.kind === "content" ? "could not be read" : page.error.message };
      return unreadable(out, what, response.url, page.error);
    }
    out.tally.page = "detail";
    for (const warning of page.warnings ?? []) out.logs.push({ level: "WARNING", message: `${what} ${response.url}: ${warning}`, ref: response.url });
    if (page.error) {
      out.result = { error: page.error.message };
      return broken(out, task.request.url, page.error.message);
    }
    out.result = { values: page.values ?? {} };
    return out;
  } catch (e) {
    if (signal.aborted) {
      out.result = { stopped: true };
      return out;
    }
    const message = e instanceof Error ? e.message : String(e);
    out.result = { error: message };
    return broken(out, task.request.url, message);
  }
}

/** The answer, or undefined when the fetch failed (counted, unless the run was stopped). */
async function fetchPage(ctx: StepContext, request: PageRequest, what: string, out: { tally: PageTally; logs: LogLine[] }, signal: AbortSignal): Promise<PageResponse | undefined> {
  try {
    return await ctx.fetcher.fetch(request, signal);
  } catch (e) {
    if (!signal.aborted && !(e instanceof FetchError)) throw e;
    out.tally.page = "failed";
    if (!signal.aborted && e instanceof FetchError) {
      out.tally.error = e.kind;
      out.logs.push({ level: "ERROR", message: `${what} ${request.url}: ${e.message}`, ref: request.url });
    }
    return undefined;
  }
}

function badStatus(response: PageResponse, what: string, out: { tally: PageTally; logs: LogLine[] }): boolean {
  if (response.status < 400) return false;
  out.tally = { page: "failed", error: `http_${response.status}` };
  out.logs.push({ level: "ERROR", message: `${what} ${response.url}: HTTP ${response.status}`, ref: response.url });
  return true;
}

/** A page that gave nothing: counted by why (`content`, `page_timeout`, or `internal` when its reader broke). */
function unreadable<T extends { tally: PageTally; logs: LogLine[] }>(out: T, what: string, url: string, error: PageError): T {
  out.tally = { page: "failed", error: error.kind };
  out.logs.push({ level: "ERROR", message: `${what} ${url}: ${error.message}`, ref: url });
  return out;
}

function broken<T extends { tally: PageTally; logs: LogLine[] }>(out: T, url: string, message: string): T {
  out.tally.error = "internal";
  out.logs.push({ level: "ERROR", message: `${url}: ${message}`, ref: url });
  return out;
}
