/**
 * @module
 * DDS scrapers and their parts (`scraper`, `requestpagetype`, `scraperelem`, `checker`) → bundle scrapers; the
 * parts still refer to attrs by pk until the conversion resolves them.
 */
import { parseDictBody, pyRepr } from "../model/python-literal.ts";
import { CHECKER_TYPES, CONTENT_TYPES, ELEM_PAGE_TYPES, METHODS, PAGE_TYPES, PAGINATION_TYPES, REQUEST_TYPES, STATUSES, WORK_STATUSES, type CheckerInput, type ElemInput, type PageTypeInput, type ScraperInput } from "./dds-codes.ts";
import { nonEmptyString, show, type Fields, type Row } from "./dds-fields.ts";

export interface ScraperRecord {
  row: Row;
  classPk: number;
  scraper: Omit<ScraperInput, "class" | "page_types" | "elems" | "checkers">;
}
export interface PageTypeRecord {
  row: Row;
  scraperPk: number;
  attrPk: number | null;
  pageType: Omit<PageTypeInput, "attr">;
}
export interface ElemRecord {
  row: Row;
  scraperPk: number;
  attrPk: number;
  elem: Omit<ElemInput, "attr">;
}
export interface CheckerRecord {
  row: Row;
  scraperPk: number;
  attrPk: number;
  checker: Omit<CheckerInput, "attr">;
}

/** A comma-separated DDS processor list, `"pre_url, string_strip"` → `["pre_url", "string_strip"]`. */
export function splitProcessors(text: string): string[] {
  return text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

export function readScraper(f: Fields): ScraperRecord | undefined {
  const name = f.name("name");
  const classPk = f.ref("scraped_obj_class", false);
  const status = f.code("status", STATUSES, "P");
  f.drop("work_status", (v) => v !== "N" && v !== "", "dscraper has no work status", (v) => `${show(v)} (${WORK_STATUSES[String(v)] ?? "unknown"})`);
  f.drop("owner", nonEmptyString, "dscraper has no scraper owner");
  // DDS reads a limit of 0 as "no limit" (it tests the value for truth), and so does null here.
  const maxRead = f.intOrNull("max_items_read") || null;
  const maxSave = f.intOrNull("max_items_save") || null;
  const paginationType = f.code("pagination_type", PAGINATION_TYPES, "N");
  const scraper = {
    name: name ?? "",
    status: status ?? "PAUSED",
    max_items_read: maxRead,
    max_items_save: maxSave,
    pagination_type: paginationType ?? "NONE",
    pagination_on_start: f.bool("pagination_on_start", false),
    pagination_append_str: f.text("pagination_append_str"),
    pagination_page_replace: f.text("pagination_page_replace"),
    // DDS development releases of June 2017 (migrations 0023/0024) named it follow_pages_by_xpath.
    follow_pages_url_xpath: f.raw("follow_pages_url_xpath") === undefined ? f.text("follow_pages_by_xpath") : f.text("follow_pages_url_xpath"),
    follow_pages_page_xpath: f.text("follow_pages_page_xpath"),
    num_pages_follow: f.intOrNull("num_pages_follow"),
    last_scraper_save_alert_period: f.text("last_scraper_save_alert_period"),
    last_checker_delete_alert_period: f.text("last_checker_delete_alert_period"),
    comments: f.text("comments"),
  };
  f.ignore("next_last_scraper_save_alert", "next_last_checker_delete_alert", "last_scraper_save", "last_checker_delete");
  if (classPk == null || !f.valid) return undefined;
  return { row: f.row, classPk, scraper };
}

export function readPageType(f: Fields): PageTypeRecord | undefined {
  const pageType = f.code("page_type", PAGE_TYPES, undefined, "MP, FP or DP1 … DP25");
  const attrPk = f.ref("scraped_obj_attr", true);
  const scraperPk = f.ref("scraper", false);
  const record = {
    page_type: pageType ?? "",
    content_type: f.code("content_type", CONTENT_TYPES, "H") ?? "HTML",
    render_javascript: f.bool("render_javascript", false),
    request_type: f.code("request_type", REQUEST_TYPES, "R") ?? "plain",
    method: f.code("method", METHODS, "GET") ?? "GET",
    headers: f.jsonStrings("headers"),
    cookies: f.jsonStrings("cookies"),
    form_data: f.jsonStrings("form_data"),
    body: f.text("body"),
    dont_filter: f.bool("dont_filter", false),
    comments: f.text("comments"),
  };
  f.drop("meta", (v) => typeof v !== "string" || !/^\s*(?:\{\s*\})?\s*$/.test(v), "dscraper has no Scrapy request meta");
  if (scraperPk == null || attrPk === undefined || !f.valid) return undefined;
  return { row: f.row, scraperPk, attrPk, pageType: record };
}

export function readElem(f: Fields): ElemRecord | undefined {
  const attrPk = f.ref("scraped_obj_attr", false);
  const scraperPk = f.ref("scraper", false);
  const pageType = f.code("request_page_type", ELEM_PAGE_TYPES, "MP", "MP or DP1 … DP25 (follow pages use the MP elems)");
  const useDefaultProcs = f.bool("use_default_procs", true);
  const processors = splitProcessors(f.text("processors"));
  const procCtxt = processorContexts(f, processors, useDefaultProcs);
  const elem = {
    x_path: f.text("x_path"),
    reg_exp: f.text("reg_exp"),
    page_type: pageType ?? "MP",
    use_default_procs: useDefaultProcs,
    processors,
    proc_ctxt: procCtxt,
    mandatory: f.bool("mandatory", true),
  };
  if (attrPk == null || scraperPk == null || !f.valid) return undefined;
  return { row: f.row, scraperPk, attrPk, elem };
}

/**
 * An elem's `proc_ctxt` as processor name → context. DDS hands the whole dict to every processor, which reads
 * its own key, so a key no processor of this elem reads did nothing in DDS; it is dropped (with a warning)
 * rather than failing dscraper's check for unknown processors. `string_strip` is read by the default processors.
 */
function processorContexts(f: Fields, processors: readonly string[], useDefaultProcs: boolean): Record<string, string> {
  const text = f.text("proc_ctxt");
  const parsed = parseDictBody(text);
  if ("error" in parsed) return f.fail("proc_ctxt", `cannot be read as a Python dict body: ${parsed.error}; the text was ${show(text)}`) ?? {};
  const used = new Set(processors);
  if (useDefaultProcs) used.add("string_strip");
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.value)) {
    if (!used.has(key)) {
      f.warn("proc_ctxt", `key ${pyRepr(key)} was dropped: no processor of this elem reads it`);
    } else if (value === null) {
      f.fail("proc_ctxt", `${pyRepr(key)} is None; a processor context must be a string`);
    } else {
      // Python's str() of the value, which is what DDS's processors concatenate or compare with.
      const context = typeof value === "string" ? value : pyRepr(value);
      Object.defineProperty(out, key, { value: context, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

export function readChecker(f: Fields): CheckerRecord | undefined {
  const attrPk = f.ref("scraped_obj_attr", false);
  const scraperPk = f.ref("scraper", false);
  const checker = {
    checker_type: f.code("checker_type", CHECKER_TYPES, "4") ?? "404",
    checker_x_path: f.text("checker_x_path"),
    checker_x_path_result: f.text("checker_x_path_result"),
    checker_ref_url: f.text("checker_ref_url"),
    comments: f.text("comments"),
  };
  if (attrPk == null || scraperPk == null || !f.valid) return undefined;
  return { row: f.row, scraperPk, attrPk, checker };
}
