/**
 * @module
 * A scraper's elems compiled once per run, then applied to pages: base nodes → relative elems → reg_exp →
 * processors on main and follow pages, detail page elems on the detail document, and the follow links.
 */
import type { Attr } from "../model/attr.ts";
import type { ContentType } from "../model/page-type.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";
import { absoluteUrl } from "./placeholders.ts";
import type { Page } from "./document.ts";
import { compileJsonPath } from "../expressions/jsonpath.ts";
import { processValues, usesStatic, type AttrProcessing, type ProcessorEnv } from "../expressions/processors.ts";
import { applyRegex, compileRegex, type RegexGiveUp } from "../expressions/regex.ts";
import { compileXPath } from "../expressions/xpath.ts";

export type Value = string | string[];
/** The values read for one item, by attr name; an attr with nothing left after processing is absent. */
export type Values = Record<string, Value>;

/** Picks strings (or base contexts) out of a page, whatever its kind. */
export interface Selector {
  strings(context: unknown): string[];
  contexts(context: unknown): unknown[];
}

interface CompiledElem {
  attr: Attr;
  selector: Selector | undefined;
  regex: RegExp | undefined;
  /** The `reg_exp` as written, for messages. */
  pattern: string;
  processing: AttrProcessing;
}

/** Where the regex engine may have given up on a page, by attr (see `RegexGiveUp`). */
export type RegexGiveUps = Map<string, { pattern: string; values: number; longest: number; slowestMs: number; missedMatchAt?: number }>;

export interface FollowLink {
  url: string;
  /** The `{follow_page}` value read by `follow_pages_page_xpath`, if any. */
  followPage?: string;
}

export interface Extractor {
  /** The items on a main or follow page, in page order; `giveUps` hears where the regex engine may have given up. */
  items(page: Page, env: ProcessorEnv, giveUps?: RegexGiveUps): Values[];
  /** The values a detail page (DP1…DPn) contributes to every item that links to it. */
  detail(pageType: string, page: Page, env: ProcessorEnv, giveUps?: RegexGiveUps): Values;
  /** The next page link(s) on a main or follow page. */
  followLinks(page: Page): FollowLink[];
}

export function compileExtractor(cls: ScrapedClassBody, scraper: ScraperBody): Extractor {
  const attrs = new Map(cls.attrs.map((a) => [a.name, a]));
  const contentOf = (code: string): ContentType => scraper.page_types.find((p) => p.page_type === code)?.content_type ?? "HTML";
  const compiled = scraper.elems.map((elem): CompiledElem & { pageType: string } => {
    const attr = attrs.get(elem.attr)!;
    return {
      attr,
      pageType: elem.page_type,
      selector: usesStatic(elem.processors) || !elem.x_path ? undefined : selector(elem.x_path, contentOf(elem.page_type)),
      regex: elem.reg_exp ? compileRegex(elem.reg_exp, "g") : undefined,
      pattern: elem.reg_exp,
      processing: { processors: elem.processors, contexts: elem.proc_ctxt, useDefaults: elem.use_default_procs, many: attr.many },
    };
  });
  const base = compiled.find((e) => e.attr.attr_type === "B");
  const mainElems = compiled.filter((e) => e.pageType === "MP" && e.attr.attr_type !== "B");
  const detailElems = new Map<string, CompiledElem[]>();
  for (const e of compiled) if (e.pageType.startsWith("DP")) detailElems.set(e.pageType, [...(detailElems.get(e.pageType) ?? []), e]);
  const mainContent = contentOf("MP");
  const followUrl = scraper.follow_pages_url_xpath ? selector(scraper.follow_pages_url_xpath, mainContent) : undefined;
  const followPage = scraper.follow_pages_page_xpath ? selector(scraper.follow_pages_page_xpath, mainContent) : undefined;

  return {
    items(page, env, giveUps) {
      if (!base?.selector) return [];
      return base.selector.contexts(rootOf(page)).map((node) => readElems(mainElems, node, page.url, env, giveUps));
    },
    detail(pageType, page, env, giveUps) {
      return readElems(detailElems.get(pageType) ?? [], rootOf(page), page.url, env, giveUps);
    },
    followLinks(page) {
      if (!followUrl) return [];
      const root = rootOf(page);
      const urls = followUrl.strings(root).map((u) => u.trim()).filter(Boolean);
      const chosen = scraper.follow_pages_all ? [...new Set(urls)] : urls.slice(0, 1);
      const value = followPage?.strings(root).find((v) => v.trim() !== "")?.trim();
      return chosen.map((u) => ({ url: absoluteUrl(u, page.url), ...(value !== undefined ? { followPage: value } : {}) }));
    },
  };
}

/** What expressions start from: the document of an HTML or XML page, the data of a JSON page. */
export function rootOf(page: Page): unknown {
  return page.kind === "JSON" ? page.data : page.document;
}

function readElems(elems: readonly CompiledElem[], context: unknown, pageUrl: string, env: ProcessorEnv, giveUps?: RegexGiveUps): Values {
  const values: Values = {};
  for (const elem of elems) {
    let raw = elem.selector ? elem.selector.strings(context) : [];
    const heard = giveUps && ((g: RegexGiveUp) => noteGiveUp(giveUps, elem, g));
    if (elem.regex) raw = raw.flatMap((s) => applyRegex(elem.regex!, s, heard));
    const value = processValues(raw, elem.processing, env);
    if (value === undefined) continue;
    const type = elem.attr.attr_type;
    // U and I values are URLs: made absolute against the page they were read from.
    values[elem.attr.name] = type === "U" || type === "I" ? mapValue(value, (v) => absoluteUrl(v, pageUrl)) : value;
  }
  return values;
}

function noteGiveUp(giveUps: RegexGiveUps, elem: CompiledElem, g: RegexGiveUp): void {
  const seen = giveUps.get(elem.attr.name) ?? { pattern: elem.pattern, values: 0, longest: 0, slowestMs: 0 };
  seen.values++;
  seen.longest = Math.max(seen.longest, g.valueLength);
  seen.slowestMs = Math.max(seen.slowestMs, g.elapsedMs);
  if (g.missedMatchAt !== undefined) seen.missedMatchAt ??= g.missedMatchAt;
  giveUps.set(elem.attr.name, seen);
}

/** One warning per elem whose regex may have given up on the page. */
export function giveUpWarnings(giveUps: RegexGiveUps): string[] {
  return [...giveUps].map(([attr, g]) => {
    const what = g.values === 1 ? `a value of ${g.longest} characters` : `${g.values} values (up to ${g.longest} characters)`;
    const evidence =
      g.missedMatchAt !== undefined
        ? `a retry found a match it had missed at character ${g.missedMatchAt + 1}`
        : `it searched ${Math.round(g.slowestMs)} ms and found nothing, as it does when it gives up`;
    return `reg_exp of elem "${attr}" (${g.pattern}) gave no match on ${what}, but the regex engine gave up: ${evidence}. JavaScriptCore stops after heavy backtracking and answers "no match", so the value is missing or incomplete; simplify the expression (avoid nested or overlapping repetitions such as (a+)+ or (?:a|a)+)`;
  });
}

function mapValue(value: Value, fn: (v: string) => string): Value {
  return typeof value === "string" ? fn(value) : value.map(fn);
}

/** An elem's expression compiled for its page's content type: XPath, or JSONPath on JSON pages. */
export function selector(expression: string, content: ContentType): Selector {
  if (content !== "JSON") {
    const xpath = compileXPath(expression);
    return { strings: (node) => xpath.strings(node), contexts: (node) => xpath.nodes(node) };
  }
  const path = compileJsonPath(expression);
  return {
    strings: (context) => path.evaluate(context, context).flatMap(jsonString),
    // A base path selects an array of items (or the root array, `$`), or the items themselves (`$.items[*]`).
    contexts: (context) => {
      const found = path.evaluate(context, context);
      return found.length === 1 && Array.isArray(found[0]) ? found[0] : found;
    },
  };
}

function jsonString(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === "string") return [value];
  if (typeof value === "number" || typeof value === "boolean") return [String(value)];
  return [JSON.stringify(value)];
}
