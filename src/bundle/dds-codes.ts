/**
 * @module
 * DDS's choice codes and the bundle shapes DDS rows become.
 */
import type { BundleInput } from "../model/bundle.ts";

export type ClassInput = NonNullable<BundleInput["classes"]>[number];
export type AttrInput = ClassInput["attrs"][number];
export type ScraperInput = NonNullable<BundleInput["scrapers"]>[number];
export type PageTypeInput = ScraperInput["page_types"][number];
export type ElemInput = ScraperInput["elems"][number];
export type CheckerInput = NonNullable<ScraperInput["checkers"]>[number];
export type SchedulerConfInput = NonNullable<ClassInput["scraper_scheduler_conf"]>;

/** The DDS models that become definitions, counted in the report under these names. */
export const DDS_DEFINITION_MODELS = ["scrapedobjclass", "scrapedobjattr", "scraper", "requestpagetype", "scraperelem", "checker"] as const;
export type DdsDefinitionModel = (typeof DDS_DEFINITION_MODELS)[number];

/** DDS code → dscraper value, per choice field. */
export const ATTR_TYPES = { S: "S", T: "T", B: "B", U: "U", I: "I" } as const;
export const STATUSES = { A: "ACTIVE", M: "MANUAL", P: "PAUSED", I: "INACTIVE" } as const;
export const PAGINATION_TYPES = { N: "NONE", R: "RANGE_FUNCT", F: "FREE_LIST", O: "FOLLOW" } as const;
export const CONTENT_TYPES = { H: "HTML", X: "XML", J: "JSON" } as const;
export const REQUEST_TYPES = { R: "plain", F: "form" } as const;
export const METHODS = { GET: "GET", POST: "POST" } as const;
export const CHECKER_TYPES = { "4": "404", X: "404_OR_X_PATH" } as const;
const DETAIL_PAGES = Object.fromEntries(Array.from({ length: 25 }, (_, n) => [`DP${n + 1}`, `DP${n + 1}`]));
export const PAGE_TYPES: Readonly<Record<string, string>> = { MP: "MP", FP: "FP", ...DETAIL_PAGES };
export const ELEM_PAGE_TYPES: Readonly<Record<string, string>> = { MP: "MP", ...DETAIL_PAGES };
export const WORK_STATUSES: Readonly<Record<string, string>> = {
  R2: "REVISION NEEDED (MAJOR)",
  R1: "REVISION NEEDED (MINOR)",
  UR: "UNRESOLVED",
  BR: "BROKEN",
  W: "WORKING",
  RC: "RELEASE CANDIDATE",
  BE: "BETA",
  A: "ALPHA",
  D: "DRAFT",
  S: "SUSPENDED",
  U: "UNKNOWN",
  N: "NOT SET",
};

/** The keys of a DDS scheduler conf, all required. */
export const SCHEDULER_KEYS = ["MIN_TIME", "MAX_TIME", "INITIAL_NEXT_ACTION_FACTOR", "ZERO_ACTIONS_FACTOR_CHANGE", "FACTOR_CHANGE_FACTOR"] as const;
