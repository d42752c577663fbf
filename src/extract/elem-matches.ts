/**
 * @module
 * What each elem of a scraper matches on one page — the admin's "try it", for people writing XPaths. On a main
 * page: how many nodes the base selects, and for every other main-page elem, in how many of the first base nodes
 * its expression selects something, the raw strings it selects in the first one that matched, and the value left
 * after reg_exp and processors. On a detail page: the same for that page type's elems, over the whole page. A
 * problem is said in words (matched nothing, reg_exp kept nothing, a processor refused). Pure: a parsed page and
 * the definitions in, plain data out.
 */
import type { Attr } from "../model/attr.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";
import { processValues, usesStatic, type ProcessorEnv } from "../expressions/processors.ts";
import { applyRegex, compileRegex } from "../expressions/regex.ts";
import type { Page } from "./document.ts";
import { absoluteUrl } from "./placeholders.ts";
import { rootOf, selector, type Value } from "./extractor.ts";

/** Raw strings shown per elem, and the characters kept of each (markup can be long). */
export const MAX_SAMPLES = 5;
export const MAX_SAMPLE_CHARS = 300;

export interface ElemMatch {
  /** The elem's index in `scraper.elems` (the editor's row). */
  elem: number;
  attr: string;
  pageType: string;
  expression: string;
  /** The BASE attr's elem: it selects the item nodes. */
  base?: true;
  /** Base: the nodes it selects on the page. Others: the base nodes (or 1, the detail page) it matched in. */
  matched: number;
  /** Base: 1 (the page). Others: the base nodes looked at (or 1, the detail page). */
  of: number;
  /** The raw strings it selects in the first node where it matched (at most MAX_SAMPLES, each cut at MAX_SAMPLE_CHARS). */
  samples: string[];
  /** How many strings it selected there in all. */
  total: number;
  /** The value after reg_exp and processors, in that node. */
  value?: Value;
  /** What went wrong, in words; absent when it matched. */
  problem?: string;
}

/**
 * The matches of the elems read on `page`, a page of type `pageType` (MP, or a DPn), looking at the first
 * `nodes` base nodes of a main page. Elems of other page types are left out.
 */
export function elemMatches(cls: ScrapedClassBody, scraper: ScraperBody, page: Page, pageType: string, env: ProcessorEnv, nodes = 10): ElemMatch[] {
  const attrs = new Map(cls.attrs.map((a) => [a.name, a]));
  const content = scraper.page_types.find((p) => p.page_type === pageType)?.content_type ?? "HTML";
  const root = rootOf(page);
  const out: ElemMatch[] = [];
  let contexts: unknown[] = [root];
  if (pageType === "MP") {
    const baseIndex = scraper.elems.findIndex((e) => attrs.get(e.attr)?.attr_type === "B");
    const base = scraper.elems[baseIndex];
    if (base) {
      const entry: ElemMatch = { elem: baseIndex, attr: base.attr, base: true, pageType: "MP", expression: base.x_path, matched: 0, of: 1, samples: [], total: 0 };
      try {
        const found = selector(base.x_path, content).contexts(root);
        entry.matched = found.length;
        entry.total = found.length;
        entry.samples = found.slice(0, MAX_SAMPLES).map((n) => cut(describeNode(n)));
        if (found.length === 0) entry.problem = "selects no node on this page, so the page gives no items";
        contexts = found.slice(0, nodes);
      } catch (e) {
        entry.problem = message(e);
        contexts = [];
      }
      out.push(entry);
    }
  }
  scraper.elems.forEach((elem, i) => {
    const attr = attrs.get(elem.attr);
    if (!attr || attr.attr_type === "B" || elem.page_type !== pageType) return;
    out.push(matchElem(i, elem, attr, content, contexts, pageType === "MP", page.url, env));
  });
  return out;
}

function matchElem(
  index: number,
  elem: ScraperBody["elems"][number],
  attr: Attr,
  content: "HTML" | "XML" | "JSON",
  contexts: readonly unknown[],
  onMain: boolean,
  pageUrl: string,
  env: ProcessorEnv,
): ElemMatch {
  const entry: ElemMatch = { elem: index, attr: elem.attr, pageType: elem.page_type, expression: elem.x_path, matched: 0, of: contexts.length, samples: [], total: 0 };
  const processing = { processors: elem.processors, contexts: elem.proc_ctxt, useDefaults: elem.use_default_procs, many: attr.many };
  try {
    if (usesStatic(elem.processors) || !elem.x_path) {
      entry.matched = entry.of;
      entry.value = processValues([], processing, env);
      if (entry.value === undefined) entry.problem = "the static processor gives no value";
      return entry;
    }
    if (contexts.length === 0) {
      entry.problem = onMain ? "not tried: the base selects no node" : "not tried: the page could not be read";
      return entry;
    }
    const find = selector(elem.x_path, content);
    let first: string[] | undefined;
    for (const context of contexts) {
      const strings = find.strings(context);
      if (strings.length === 0) continue;
      entry.matched++;
      first ??= strings;
    }
    if (!first) {
      entry.problem = onMain ? `selects nothing in the first ${contexts.length} base node${contexts.length === 1 ? "" : "s"}` : "selects nothing on this page";
      return entry;
    }
    entry.total = first.length;
    entry.samples = first.slice(0, MAX_SAMPLES).map(cut);
    const kept = elem.reg_exp ? first.flatMap((s) => applyRegex(compileRegex(elem.reg_exp, "g"), s)) : first;
    if (elem.reg_exp && kept.length === 0) {
      entry.problem = "its reg_exp keeps nothing of what the path selects";
      return entry;
    }
    entry.value = processValues(kept, processing, env);
    if (entry.value === undefined) entry.problem = "nothing is left after the processors";
    else if (attr.attr_type === "U" || attr.attr_type === "I") entry.value = typeof entry.value === "string" ? absoluteUrl(entry.value, pageUrl) : entry.value.map((v) => absoluteUrl(v, pageUrl));
  } catch (e) {
    entry.problem = message(e);
  }
  return entry;
}

/** An element as its start tag and text, shorter than its markup; other nodes as their string. */
function describeNode(node: unknown): string {
  if (typeof node !== "object" || node === null) return JSON.stringify(node) ?? String(node);
  if (!("nodeType" in node)) return JSON.stringify(node);
  const n = node as Node;
  if (n.nodeType !== 1) return n.textContent ?? "";
  const el = n as Element;
  const attrs = Array.from(el.attributes, (a) => ` ${a.name}="${a.value}"`).join("");
  const text = (el.textContent ?? "").replace(/\s+/g, " ").trim();
  return `<${el.localName}${attrs}> ${text}`;
}

function cut(s: string): string {
  return s.length > MAX_SAMPLE_CHARS ? `${s.slice(0, MAX_SAMPLE_CHARS)}…` : s;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
