/**
 * @module
 * A scraper (DDS `Scraper`): how a class's items are read from a source's pages, with its page types, elems and
 * checkers. `checkScraper` holds the rules one scraper must follow on its own; `checkScraperAgainstClass` those
 * that need its class.
 */
import { z } from "zod";
import { checkProcessorContext, isBuiltinProcessor, usesStatic } from "../expressions/processors.ts";
import type { Attr } from "./attr.ts";
import { checkerSchema } from "./checker.ts";
import { httpUrlSchema, nameSchema, periodSchema, positiveIntOrNull } from "./common.ts";
import { scraperStatusSchema } from "./enums.ts";
import { elemSchema, type Elem } from "./elem.ts";
import { expressionProblem, regexProblem } from "./expressions.ts";
import { freeListPages, rangePages } from "./page-replace.ts";
import { pageTypeSchema, type ContentType, type PageType } from "./page-type.ts";
import type { Report } from "./report.ts";

export const paginationTypeSchema = z.enum(["NONE", "RANGE_FUNCT", "FREE_LIST", "FOLLOW"]);

export const scraperBodySchema = z.strictObject({
  /** Stop reading after this many items (null: no limit). */
  max_items_read: positiveIntOrNull.default(null),
  /** Stop saving after this many new items (null: no limit). */
  max_items_save: positiveIntOrNull.default(null),
  pagination_type: paginationTypeSchema.default("NONE"),
  /** false: the bare source URL is read first, then the generated pages. */
  pagination_on_start: z.boolean().default(false),
  /** Appended to the source URL for each page value, `{page}` filled. */
  pagination_append_str: z.string().default(""),
  pagination_page_replace: z.union([z.string(), z.array(z.union([z.string(), z.number()]))]).default(""),
  follow_pages_url_xpath: z.string().default(""),
  follow_pages_page_xpath: z.string().default(""),
  /** Follow every link `follow_pages_url_xpath` matches, not only the first. */
  follow_pages_all: z.boolean().default(false),
  /** At most this many follow hops (null: until no next link). */
  num_pages_follow: z.number().int("must be an integer").nonnegative("must not be negative").nullable().default(null),
  last_scraper_save_alert_period: periodSchema.default(""),
  last_checker_delete_alert_period: periodSchema.default(""),
  /**
   * Gets a signed JSON POST when one of the scraper's jobs ends (succeeded, failed or cancelled); null: the global
   * `--webhook` / `DSCRAPER_WEBHOOK_URL`, if any.
   */
  webhook_url: httpUrlSchema.nullable().default(null),
  comments: z.string().default(""),
  page_types: z.array(pageTypeSchema),
  elems: z.array(elemSchema),
  checkers: z.array(checkerSchema).default([]),
});

/** A scraper's fields with their defaults, without the rules across fields (`scraperSchema` has them). */
export const scraperFieldsSchema = z.strictObject({
  name: nameSchema,
  class: nameSchema,
  status: scraperStatusSchema.default("PAUSED"),
  ...scraperBodySchema.shape,
});

export const scraperSchema = scraperFieldsSchema.superRefine((s, ctx) => checkScraper(s, (path, message) => ctx.addIssue({ code: "custom", path, message })));

/** The stored part of a scraper (the database keeps name, class and status in columns). */
export type ScraperBody = z.infer<typeof scraperBodySchema>;
export type Scraper = z.infer<typeof scraperSchema>;

export function pageTypeOf(s: Pick<ScraperBody, "page_types">, code: string): PageType | undefined {
  return s.page_types.find((p) => p.page_type === code);
}

export function checkScraper(s: ScraperBody, report: Report): void {
  checkPageTypes(s.page_types, report);
  const contentOf = (code: string): ContentType => pageTypeOf(s, code)?.content_type ?? "HTML";
  const mainContent = contentOf("MP");

  if (s.pagination_type === "RANGE_FUNCT" || s.pagination_type === "FREE_LIST") {
    const pages = s.pagination_type === "RANGE_FUNCT" ? rangePages(s.pagination_page_replace) : freeListPages(s.pagination_page_replace);
    if ("error" in pages) report(["pagination_page_replace"], pages.error);
    else if (pages.values.length === 0) report(["pagination_page_replace"], "gives no page at all");
    // An append string may be empty or lack {page}, as in DDS: POST pagination puts {page} in the form data.
  }
  if (s.pagination_type === "FOLLOW" && !s.follow_pages_url_xpath) {
    report(["follow_pages_url_xpath"], "is required for FOLLOW pagination");
  }
  for (const field of ["follow_pages_url_xpath", "follow_pages_page_xpath"] as const) {
    if (s[field]) {
      const problem = expressionProblem(s[field], mainContent);
      if (problem) report([field], problem);
    }
  }

  s.elems.forEach((elem, i) => checkElem(elem, pageTypeOf(s, elem.page_type), (p, m) => report(["elems", i, ...p], m)));

  s.checkers.forEach((checker, i) => {
    if (checker.checker_type === "404_OR_X_PATH" && !checker.checker_x_path) {
      report(["checkers", i, "checker_x_path"], "is required for a 404_OR_X_PATH checker");
    }
    if (checker.checker_x_path) {
      const dp = s.page_types.find((p) => p.page_type.startsWith("DP") && p.attr === checker.attr);
      const problem = expressionProblem(checker.checker_x_path, dp?.content_type ?? "HTML");
      if (problem) report(["checkers", i, "checker_x_path"], problem);
    }
  });
}

function checkPageTypes(pageTypes: readonly PageType[], report: Report): void {
  const seen = new Map<string, number>();
  pageTypes.forEach((pt, i) => {
    const first = seen.get(pt.page_type);
    if (first !== undefined) report(["page_types", i, "page_type"], `duplicate page type ${pt.page_type} (also page_types[${first}])`);
    else seen.set(pt.page_type, i);
    if (pt.page_type.startsWith("DP") && pt.attr === undefined) {
      report(["page_types", i, "attr"], `is required: ${pt.page_type} must name the DETAIL_PAGE_URL attr whose URL it requests`);
    }
    if (!pt.page_type.startsWith("DP") && pt.attr !== undefined) {
      report(["page_types", i, "attr"], `is only for detail page types (DP1…DP25), not ${pt.page_type}`);
    }
    if (pt.request_type === "form" && pt.body) {
      report(["page_types", i, "body"], "must be empty for a form request (its body is form_data)");
    }
    checkNamespaces(pt, (path, message) => report(["page_types", i, "namespaces", ...path], message));
  });
  const tiedTo = new Map<string, number>();
  pageTypes.forEach((pt, i) => {
    if (pt.attr === undefined || !pt.page_type.startsWith("DP")) return;
    const first = tiedTo.get(pt.attr);
    if (first !== undefined) report(["page_types", i, "attr"], `attr "${pt.attr}" already has a detail page type (page_types[${first}])`);
    else tiedTo.set(pt.attr, i);
  });
  if (!seen.has("MP")) report(["page_types"], "needs exactly one MP (main page) page type, found none");
  const mp = pageTypes.find((p) => p.page_type === "MP");
  const fp = pageTypes.findIndex((p) => p.page_type === "FP");
  if (mp && fp !== -1 && pageTypes[fp]!.content_type !== mp.content_type) {
    report(["page_types", fp, "content_type"], `must be ${mp.content_type} like MP: follow pages are read with the MP elems`);
  }
}

/** The `namespaces` of a page type: for XPath only, and unambiguous (prefixes are matched regardless of case). */
function checkNamespaces(pt: PageType, report: Report): void {
  const prefixes = Object.keys(pt.namespaces);
  if (prefixes.length && pt.content_type === "JSON") report([], "are for XPath on HTML and XML pages, not JSON pages");
  const seen = new Map<string, string>();
  for (const prefix of prefixes) {
    const uri = pt.namespaces[prefix]!;
    if (prefix.toLowerCase() === "xmlns") report([prefix], "xmlns is reserved by XML and cannot be declared");
    else if (prefix.toLowerCase() === "xml" && uri !== "http://www.w3.org/XML/1998/namespace") report([prefix], "xml is bound to http://www.w3.org/XML/1998/namespace");
    const other = seen.get(prefix.toLowerCase());
    if (other !== undefined) report([prefix], `clashes with "${other}": prefixes are matched regardless of case`);
    else seen.set(prefix.toLowerCase(), prefix);
  }
}

function checkElem(elem: Elem, pageType: PageType | undefined, report: Report): void {
  // A missing MP is reported once on page_types, and a malformed code by its own rule.
  if (!pageType && elem.page_type.startsWith("DP")) {
    report(["page_type"], `page type ${elem.page_type} does not exist in this scraper's page_types`);
  }
  if (elem.x_path) {
    const problem = expressionProblem(elem.x_path, pageType?.content_type ?? "HTML");
    if (problem) report(["x_path"], problem);
  } else if (!usesStatic(elem.processors)) {
    report(["x_path"], "is required unless the static processor gives the value");
  }
  if (elem.reg_exp) {
    const problem = regexProblem(elem.reg_exp);
    if (problem) report(["reg_exp"], problem);
  }
  elem.processors.forEach((name, i) => {
    if (!isBuiltinProcessor(name)) report(["processors", i], `unknown processor "${name}"`);
    else if (!(name in elem.proc_ctxt)) {
      const problem = checkProcessorContext(name, undefined);
      if (problem) report(["proc_ctxt", name], problem);
    }
  });
  for (const [name, context] of Object.entries(elem.proc_ctxt)) {
    const problem = isBuiltinProcessor(name) ? checkProcessorContext(name, context) : `unknown processor "${name}"`;
    if (problem) report(["proc_ctxt", name], problem);
  }
}

/** Rules that tie a scraper to its class's attrs. */
export function checkScraperAgainstClass(s: ScraperBody, attrs: readonly Attr[], className: string, report: Report): void {
  const attrOf = new Map(attrs.map((a) => [a.name, a]));
  const elemOf = new Map<string, number>();
  s.elems.forEach((elem, i) => {
    const attr = attrOf.get(elem.attr);
    if (!attr) {
      report(["elems", i, "attr"], `class "${className}" has no attr "${elem.attr}"`);
      return;
    }
    const first = elemOf.get(elem.attr);
    if (first !== undefined) report(["elems", i, "attr"], `attr "${elem.attr}" already has an elem (elems[${first}])`);
    else elemOf.set(elem.attr, i);
    if (attr.attr_type === "B" && elem.page_type !== "MP") {
      report(["elems", i, "page_type"], "the BASE attr's elem must be on the main page (MP)");
    }
    if (elem.page_type.startsWith("DP")) {
      const tied = pageTypeOf(s, elem.page_type)?.attr;
      if (tied !== undefined && attrOf.get(tied)?.attr_type !== "U") {
        report(["elems", i, "page_type"], `page type ${elem.page_type} is not tied to a DETAIL_PAGE_URL (U) attr`);
      }
    }
  });
  const base = attrs.find((a) => a.attr_type === "B");
  if (base && !elemOf.has(base.name)) report(["elems"], `needs an elem for the BASE attr "${base.name}"`);
  if (base && elemOf.has(base.name) && !s.elems[elemOf.get(base.name)!]!.x_path) {
    report(["elems", elemOf.get(base.name)!, "x_path"], "the BASE attr's elem needs a path selecting one node per item");
  }
  for (const attr of attrs) {
    if (attr.id_field && !elemOf.has(attr.name)) report(["elems"], `id_field attr "${attr.name}" has no elem, so items could not be told apart`);
  }

  s.page_types.forEach((pt, i) => {
    if (pt.attr === undefined || !pt.page_type.startsWith("DP")) return;
    const attr = attrOf.get(pt.attr);
    if (!attr) report(["page_types", i, "attr"], `class "${className}" has no attr "${pt.attr}"`);
    else if (attr.attr_type !== "U") report(["page_types", i, "attr"], `attr "${pt.attr}" is ${attr.attr_type}, not a DETAIL_PAGE_URL (U) attr`);
    else {
      // The detail page's URL must be known before the page is requested: it is read on the main page.
      const urlElem = elemOf.get(pt.attr);
      if (urlElem === undefined) report(["page_types", i, "attr"], `attr "${pt.attr}" has no elem, so ${pt.page_type} would never be requested`);
      else if (s.elems[urlElem]!.page_type !== "MP") {
        report(["elems", urlElem, "page_type"], `the URL of ${pt.page_type} ("${pt.attr}") must be read on the main page (MP)`);
      }
    }
  });

  s.checkers.forEach((checker, i) => {
    const attr = attrOf.get(checker.attr);
    if (!attr) report(["checkers", i, "attr"], `class "${className}" has no attr "${checker.attr}"`);
    else if (attr.attr_type !== "U") report(["checkers", i, "attr"], `attr "${checker.attr}" is ${attr.attr_type}, not a DETAIL_PAGE_URL (U) attr`);
  });
}
