/**
 * @module
 * Reading one fetched page: parse it by its page type's content type, then extract — the follow links and items
 * of a main or follow page, or the values of a detail page. Pure, and its input and output are plain
 * (structured-clone-able) data, so it can run on another thread with a time limit: a reader is built once per
 * run (and per thread) from the run's definitions, then `readPage` is called per page.
 */
import { parsePage } from "../extract/document.ts";
import { compileExtractor, giveUpWarnings, type Extractor, type FollowLink, type RegexGiveUps, type Values } from "../extract/extractor.ts";
import type { ProcessorEnv } from "../expressions/processors.ts";
import type { ContentType } from "../model/page-type.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";

/** A run's compiled elems and the content type of each page type. */
export interface PageReader {
  readonly extractor: Extractor;
  readonly env: ProcessorEnv;
  /** By page type code; FP falls back to MP's (follow pages are requested with MP's options when FP is absent). */
  readonly contentTypes: Readonly<Record<string, ContentType>>;
  /** The namespace prefixes each page type declares (SPEC.md §2), by page type code like `contentTypes`. */
  readonly namespaces: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export function pageReader(definitions: { classBody: ScrapedClassBody; scraperBody: ScraperBody }, env: ProcessorEnv): PageReader {
  const { classBody, scraperBody } = definitions;
  const contentTypes: Record<string, ContentType> = {};
  const namespaces: Record<string, Readonly<Record<string, string>>> = {};
  for (const p of scraperBody.page_types) {
    contentTypes[p.page_type] = p.content_type;
    namespaces[p.page_type] = p.namespaces;
  }
  contentTypes.FP ??= contentTypes.MP ?? "HTML";
  namespaces.FP ??= namespaces.MP ?? {};
  return { extractor: compileExtractor(classBody, scraperBody), env, contentTypes, namespaces };
}

export interface PageInput {
  /** MP, FP or DP1…DP25. */
  pageType: string;
  /** The URL the page was fetched from, after redirects: relative links resolve against it. */
  url: string;
  /** The Content-Type header of the answer. */
  contentType: string | null;
  body: Uint8Array;
  /** Read the follow links (a main or follow page of a following scraper, within its hop limit). */
  followLinks: boolean;
}

/**
 * Why reading failed: the page could not be parsed (`content`), extraction broke (`internal`), or parsing and
 * extraction took longer than the page's time limit (`page_timeout`, only where a reader can enforce one). The
 * kind is what the run's stats count the page's error as.
 */
export interface PageError {
  kind: "content" | "internal" | "page_timeout";
  message: string;
}

export type PageOutput =
  /** Not parsed: nothing was read. */
  | { ok: false; error: PageError }
  /**
   * Parsed: the follow links and items of a main or follow page, or the `values` of a detail page. An `error`
   * (always `internal`) says extraction broke after the links were read; the items or values are then missing.
   */
  | { ok: true; links: FollowLink[]; items: Values[]; values?: Values; error?: PageError; warnings?: string[] };

/**
 * Reads the page. `onLinks` hears the follow links as soon as they are read, before the items: in FOLLOW mode
 * the next-link chain is the critical path, so the next hop can be requested while this page's items are read.
 */
export function readPage(reader: PageReader, input: PageInput, onLinks?: (links: FollowLink[]) => void): PageOutput {
  let page;
  try {
    page = parsePage(input.body, input.contentType, reader.contentTypes[input.pageType] ?? "HTML", input.url, reader.namespaces[input.pageType]);
  } catch (e) {
    return { ok: false, error: { kind: "content", message: message(e) } };
  }
  const detail = input.pageType.startsWith("DP");
  let links: FollowLink[] = [];
  // Where the regex engine may have given up: the values are missing, and the user must hear why.
  const giveUps: RegexGiveUps = new Map();
  const warned = <T extends { ok: true }>(out: T): T => (giveUps.size ? { ...out, warnings: giveUpWarnings(giveUps) } : out);
  try {
    if (!detail && input.followLinks) {
      links = reader.extractor.followLinks(page);
      onLinks?.(links);
    }
    if (detail) return warned({ ok: true, links, items: [], values: reader.extractor.detail(input.pageType, page, reader.env, giveUps) });
    return warned({ ok: true, links, items: reader.extractor.items(page, reader.env, giveUps) });
  } catch (e) {
    return { ok: true, links, items: [], error: { kind: "internal", message: message(e) } };
  }
}

/** A run's definitions as another thread receives them: plain data (a ProcessorEnv's clock cannot cross over). */
export interface ReaderDefinitions {
  classBody: ScrapedClassBody;
  scraperBody: ScraperBody;
  timeZone: string;
}

/**
 * Reads pages somewhere else than on the crawl's own thread — in the binary, a pool of threads that bounds the time
 * one page may take and keeps the lease's heartbeats and the process's signals from waiting behind a busy page.
 * Same input, same output as {@link readPage}.
 */
export interface PageReaders {
  /** The reader of one run. Its reads end at once (rejected) when `signal` aborts; release it when the run ends. */
  forRun(definitions: ReaderDefinitions, signal: AbortSignal): RunReader;
}

export interface RunReader {
  read(input: PageInput, onLinks?: (links: FollowLink[]) => void): Promise<PageOutput>;
  release(): void;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
