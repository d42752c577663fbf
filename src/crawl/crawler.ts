/**
 * @module
 * One scraper run over a source's start URLs (SPEC.md §2–3): main pages from the planner, follow pages from the
 * follow links, detail pages per item, each page fetched through the polite fetcher and read by the extractor.
 * Items leave through `hooks.item` once all their pages are read; storing them is the pipeline's business.
 *
 * Order of work: follow pages first (in FOLLOW mode the next-link chain is the critical path, so its next hop is
 * queued before the page's items are even read), then detail pages (they complete items already read and free
 * their memory), then the generated main pages.
 */
import { parsePage, type Page } from "../extract/document.ts";
import { compileExtractor, type Values } from "../extract/extractor.ts";
import { absoluteUrl, fill } from "../extract/placeholders.ts";
import type { ProcessorEnv } from "../expressions/processors.ts";
import type { RunOptions } from "../model/run-options.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";
import type { PageType } from "../model/page-type.ts";
import type { LogLevel } from "../model/enums.ts";
import { FetchError, type Fetcher, type PageRequest, type PageResponse } from "../fetch/fetcher.ts";
import { planMainPages } from "./planner.ts";
import { buildRequest, requestKey, UnsupportedRequestError } from "./request.ts";

/** What a run reads: the definitions and where to start. */
export interface CrawlTarget {
  classBody: ScrapedClassBody;
  scraperBody: ScraperBody;
  /** The source's URL followed by its extra `urls` (or the run's `url` override alone). */
  startUrls: string[];
}

/** An item whose pages have all been read. */
export interface ReadItem {
  values: Values;
  /** The page the item was read from. */
  pageUrl: string;
  /** Why a detail page contributed nothing (the pipeline names it when a mandatory value is missing). */
  detailErrors: string[];
}

/** Validators from earlier answers, for conditional requests of main and follow pages. */
export interface ValidatorCache {
  get(key: string): { etag?: string; lastModified?: string } | undefined;
  set(key: string, value: { etag?: string; lastModified?: string }): void;
}

export interface CrawlHooks {
  item(item: ReadItem): void | Promise<void>;
  log(level: LogLevel, message: string, refObject?: string): void;
  progress?(progress: CrawlProgress): void;
  validators?: ValidatorCache;
}

export interface CrawlProgress {
  pagesDone: number;
  pagesQueued: number;
  items: number;
  errors: number;
}

export interface CrawlStats {
  pages: { main: number; follow: number; detail: number; not_modified: number; failed: number; duplicate: number };
  items_read: number;
  /** Main pages on which the base XPath (or JSONPath) matched nothing: the first sign that a site changed. */
  pages_without_items: number;
  /** Failures by kind: `http_404`, `network`, `timeout`, `content_type`, `robots`… */
  errors: Record<string, number>;
}

type TaskKind = "MP" | "FP" | "DP";

interface ListTask {
  kind: "MP" | "FP";
  url: string;
  vars: Record<string, string>;
  /** Follow hops from the start page. */
  depth: number;
}

interface DetailTask {
  kind: "DP";
  pageType: string;
  request: PageRequest;
  resolve(result: Values | Error): void;
}

type Task = ListTask | DetailTask;

export async function crawl(target: CrawlTarget, options: RunOptions, fetcher: Fetcher, env: ProcessorEnv, hooks: CrawlHooks, signal: AbortSignal): Promise<CrawlStats> {
  const { scraperBody: scraper, classBody } = target;
  const extractor = compileExtractor(classBody, scraper);
  const pageTypeOf = (code: string) => scraper.page_types.find((p) => p.page_type === code);
  const mainType = pageTypeOf("MP")!;
  // Follow pages are requested with FP's options, or MP's when FP is not defined (SPEC.md §1).
  const followType: PageType = pageTypeOf("FP") ?? { ...mainType, page_type: "FP" };
  const detailTypes = scraper.page_types.filter((p) => p.page_type.startsWith("DP") && p.attr !== undefined);
  const rendered = scraper.page_types.find((p) => p.render_javascript);
  if (rendered) throw new UnsupportedRequestError(`${rendered.page_type}: render_javascript is not supported (no JavaScript renderer is configured)`);
  const following = scraper.pagination_type === "FOLLOW" || Boolean(scraper.follow_pages_url_xpath);
  const maxHops = options.num_pages_follow ?? scraper.num_pages_follow ?? Infinity;
  const maxItems = options.max_items_read ?? scraper.max_items_read ?? Infinity;
  const maxPages = options.max_pages_read ?? Infinity;

  const stats: CrawlStats = { pages: { main: 0, follow: 0, detail: 0, not_modified: 0, failed: 0, duplicate: 0 }, items_read: 0, pages_without_items: 0, errors: {} };
  const queues: Record<TaskKind, Task[]> = { FP: [], DP: [], MP: [] };
  const seen = new Set<string>();
  const details = new Map<string, Promise<Values | Error>>();
  let listPages = 0;
  let inFlight = 0;
  let pending = 0;
  /** Items read whose detail pages are still being fetched. */
  let openItems = 0;
  let done = 0;
  // The fetcher bounds real concurrency; keeping a few more tasks started than that keeps it busy without
  // pulling the whole (possibly huge) page list into memory at once.
  const maxInFlight = Math.max(2, fetcher.settings.concurrency * 2);
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // Items handed to the pipeline and not yet accepted by it; the first failure of one fails the run.
  let itemWrites = 0;
  let itemFailure: unknown;
  let itemsDone: (() => void) | undefined;

  const fail = (kind: string, message: string, url: string, level: LogLevel = "ERROR") => {
    stats.errors[kind] = (stats.errors[kind] ?? 0) + 1;
    hooks.log(level, message, url);
  };
  const report = () =>
    hooks.progress?.({ pagesDone: done, pagesQueued: pending, items: stats.items_read, errors: Object.values(stats.errors).reduce((a, b) => a + b, 0) });

  const enqueue = (task: Task) => {
    queues[task.kind].push(task);
    pending++;
    pump();
  };

  function pump(): void {
    while (inFlight < maxInFlight && !signal.aborted) {
      const task = queues.FP.shift() ?? queues.DP.shift() ?? queues.MP.shift();
      if (!task) break;
      inFlight++;
      void run(task).finally(() => {
        inFlight--;
        pending--;
        done++;
        report();
        pump();
      });
    }
    if (inFlight === 0 && ((pending === 0 && openItems === 0) || signal.aborted)) finish();
  }

  async function run(task: Task): Promise<void> {
    try {
      if (task.kind === "DP") await runDetail(task);
      else await runList(task);
    } catch (e) {
      if (signal.aborted) return;
      // Anything not foreseen for one page is that page's failure, not the run's: the run goes on.
      fail("internal", `${task.kind === "DP" ? task.request.url : task.url}: ${e instanceof Error ? e.message : String(e)}`, task.kind === "DP" ? task.request.url : task.url);
      if (task.kind === "DP") task.resolve(e instanceof Error ? e : new Error(String(e)));
    }
  }

  async function fetchPage(request: PageRequest, what: string): Promise<PageResponse | undefined> {
    try {
      return await fetcher.fetch(request, signal);
    } catch (e) {
      if (signal.aborted) return undefined;
      if (e instanceof FetchError) fail(e.kind, `${what} ${request.url}: ${e.message}`, request.url);
      else throw e;
      return undefined;
    }
  }

  function read(response: PageResponse, pageType: PageType, what: string): Page | undefined {
    if (response.status >= 400) {
      fail(`http_${response.status}`, `${what} ${response.url}: HTTP ${response.status}`, response.url);
      return undefined;
    }
    try {
      return parsePage(response.body, response.headers.get("content-type"), pageType.content_type, response.url, pageType.namespaces);
    } catch (e) {
      fail("content", `${what} ${response.url}: ${e instanceof Error ? e.message : String(e)}`, response.url);
      return undefined;
    }
  }

  async function runList(task: ListTask): Promise<void> {
    if (stats.items_read >= maxItems || listPages >= maxPages) return;
    const pageType = task.kind === "MP" ? mainType : followType;
    const request = buildRequest(pageType, task.url, task.vars);
    const key = requestKey(request);
    if (seen.has(key) && !pageType.dont_filter) {
      stats.pages.duplicate++;
      return;
    }
    seen.add(key);
    listPages++;
    const validators = hooks.validators?.get(key);
    if (validators?.etag) request.headers = { ...request.headers, "If-None-Match": validators.etag };
    if (validators?.lastModified) request.headers = { ...request.headers, "If-Modified-Since": validators.lastModified };
    const what = task.kind === "MP" ? "main page" : "follow page";
    const response = await fetchPage(request, what);
    if (!response) {
      stats.pages.failed++;
      return;
    }
    if (response.status === 304) {
      stats.pages.not_modified++;
      hooks.log("INFO", `${what} ${response.url}: not modified since the last run`, response.url);
      return;
    }
    const page = read(response, pageType, what);
    if (!page) {
      stats.pages.failed++;
      return;
    }
    stats.pages[task.kind === "MP" ? "main" : "follow"]++;
    if (following && task.depth < maxHops) {
      for (const link of extractor.followLinks(page)) {
        enqueue({ kind: "FP", url: link.url, vars: link.followPage === undefined ? {} : { follow_page: link.followPage }, depth: task.depth + 1 });
      }
    }
    const items = extractor.items(page, env);
    if (items.length === 0 && task.kind === "MP") {
      stats.pages_without_items++;
      hooks.log("WARNING", noItemsMessage(response.url, target), response.url);
    }
    for (const values of items) {
      if (stats.items_read >= maxItems) break;
      stats.items_read++;
      startItem(values, page.url);
    }
    const etag = response.headers.get("etag") ?? undefined;
    const lastModified = response.headers.get("last-modified") ?? undefined;
    if (hooks.validators && (etag || lastModified)) hooks.validators.set(key, { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) });
  }

  function startItem(values: Values, pageUrl: string): void {
    openItems++;
    const wanted = detailTypes.filter((dp) => typeof values[dp.attr!] === "string" && values[dp.attr!] !== "");
    if (wanted.length === 0) {
      complete({ values, pageUrl, detailErrors: [] });
      return;
    }
    const detailErrors: string[] = [];
    let left = wanted.length;
    for (const dp of wanted) {
      const url = absoluteUrl(fill(values[dp.attr!] as string, values), pageUrl);
      values[dp.attr!] = url;
      let request: PageRequest;
      try {
        request = buildRequest(dp, url, values);
      } catch (e) {
        detailErrors.push(`${dp.page_type}: ${e instanceof Error ? e.message : String(e)}`);
        if (--left === 0) complete({ values, pageUrl, detailErrors });
        continue;
      }
      void detail(dp, request).then((result) => {
        if (result instanceof Error) detailErrors.push(`${dp.page_type} ${request.url}: ${result.message}`);
        else Object.assign(values, result);
        if (--left === 0) complete({ values, pageUrl, detailErrors });
      });
    }
  }

  /** A detail page shared by several items is fetched once and read once; every item gets its values. */
  function detail(dp: PageType, request: PageRequest): Promise<Values | Error> {
    const key = `${dp.page_type} ${requestKey(request)}`;
    const known = dp.dont_filter ? undefined : details.get(key);
    if (known) return known;
    const result = new Promise<Values | Error>((resolve) => enqueue({ kind: "DP", pageType: dp.page_type, request, resolve }));
    if (!dp.dont_filter) details.set(key, result);
    return result;
  }

  async function runDetail(task: DetailTask): Promise<void> {
    const pageType = pageTypeOf(task.pageType)!;
    const response = await fetchPage(task.request, `detail page ${task.pageType}`);
    if (!response) {
      stats.pages.failed++;
      task.resolve(new Error(signal.aborted ? "cancelled" : "could not be fetched"));
      return;
    }
    const page = read(response, pageType, `detail page ${task.pageType}`);
    if (!page) {
      stats.pages.failed++;
      task.resolve(new Error(response.status >= 400 ? `HTTP ${response.status}` : "could not be read"));
      return;
    }
    stats.pages.detail++;
    task.resolve(extractor.detail(task.pageType, page, env));
  }

  function complete(item: ReadItem): void {
    fillValuePlaceholders(item.values, classBody, item.pageUrl);
    const written = hooks.item(item);
    if (written) {
      itemWrites++;
      written.then(
        () => {
          if (--itemWrites === 0) itemsDone?.();
        },
        (e: unknown) => {
          itemFailure ??= e;
          if (--itemWrites === 0) itemsDone?.();
        },
      );
    }
    openItems--;
    pump();
  }

  for (const url of target.startUrls) {
    for (const main of planMainPages(scraper, url, options)) enqueue({ kind: "MP", url: main.url, vars: main.page === undefined ? {} : { page: main.page }, depth: 0 });
  }
  pump();
  await finished;
  if (itemWrites > 0) await new Promise<void>((resolve) => (itemsDone = resolve));
  if (itemFailure !== undefined) throw itemFailure;
  return stats;
}

/**
 * Placeholders inside values are filled once all pages of the item are read, from its STANDARD values (also
 * those not saved); URL values are made absolute after filling.
 */
function fillValuePlaceholders(values: Values, cls: ScrapedClassBody, pageUrl: string): void {
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

/** What to tell a user whose main page gave no item: the page and the expression that found nothing there. */
function noItemsMessage(url: string, target: CrawlTarget): string {
  const base = target.classBody.attrs.find((a) => a.attr_type === "B");
  const elem = target.scraperBody.elems.find((e) => e.attr === base?.name);
  const json = target.scraperBody.page_types.find((p) => p.page_type === "MP")?.content_type === "JSON";
  return `main page ${url}: the base ${json ? "JSONPath" : "XPath"} ${elem?.x_path ?? ""} matched nothing (no items on this page)`;
}
