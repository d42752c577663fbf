/**
 * @module
 * `import --from-dds`: converts a django-dynamic-scraper `dumpdata dynamic_scraper` fixture (Django JSON, DDS
 * 0.13 field set) into a definitions bundle. Pure: the caller validates the result with `parseBundle` and stores it.
 *
 * DDS rows refer to each other by pk, the bundle by name, so references are resolved here and problems that only
 * the fixture can locate (a missing pk, an attr of another class, an unknown code, an unreadable Python dict body)
 * are reported at the fixture row: `[7].fields.attr_type`. Rules a bundle checks anyway (one BASE attr, valid
 * XPath, known processors…) are left to `parseBundle`, which names the bundle path.
 *
 * Not converted: scheduler runtimes (they belong to DDS reference objects and items, which a `dumpdata
 * dynamic_scraper` fixture does not hold), logs and log markers (counted), and a scraper's monitoring state
 * (`next_last_*_alert`, `last_scraper_save`, `last_checker_delete`), which is run-time state, not definition.
 * DDS fields dscraper has no place for (`work_status`, `owner`, page type `meta`…) are dropped with a warning
 * when they hold something.
 */
import { formatPath, ValidationError, type Issue } from "../errors.ts";
import type { BundleInput } from "../model/bundle.ts";
import { parseDictBody, pyRepr } from "../model/python-literal.ts";

type ClassInput = NonNullable<BundleInput["classes"]>[number];
type AttrInput = ClassInput["attrs"][number];
type ScraperInput = NonNullable<BundleInput["scrapers"]>[number];
type PageTypeInput = ScraperInput["page_types"][number];
type ElemInput = ScraperInput["elems"][number];
type CheckerInput = NonNullable<ScraperInput["checkers"]>[number];
type SchedulerConfInput = NonNullable<ClassInput["scraper_scheduler_conf"]>;

/** The DDS models that become definitions, counted in the report under these names. */
export const DDS_DEFINITION_MODELS = ["scrapedobjclass", "scrapedobjattr", "scraper", "requestpagetype", "scraperelem", "checker"] as const;
export type DdsDefinitionModel = (typeof DDS_DEFINITION_MODELS)[number];

export interface DdsReport {
  /** Rows converted, per DDS model (`dynamic_scraper.` left off). */
  converted: Record<DdsDefinitionModel, number>;
  /**
   * Every converted scraper, by name: DDS's reference objects (a user's NewsWebsite model…) are not in the
   * fixture, so none of them has a source until the user adds one.
   */
  scrapersWithoutSource: string[];
  /** `schedulerruntime` rows: they belong to reference objects and items, which the fixture does not hold. */
  runtimesSkipped: number;
  logsSkipped: number;
  logMarkersSkipped: number;
  /** DDS values dropped or changed on the way, each naming model, pk and field. */
  warnings: string[];
}

/** A comma-separated DDS processor list, `"pre_url, string_strip"` → `["pre_url", "string_strip"]`. */
export function splitProcessors(text: string): string[] {
  return text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

// ---------------------------------------------------------------------------------------------------------
// Fixture rows

interface Row {
  index: number;
  /** As written, lower case: `dynamic_scraper.scraper`. */
  model: string;
  /** The model within DDS's app (`scraper`); undefined for another app's row. */
  kind: string | undefined;
  pk: number;
  fields: Record<string, unknown>;
}

interface Sink {
  issues: Issue[];
  warnings: string[];
}

const APP = "dynamic_scraper";

/** Reads one row's fields, records problems at `[index].fields.name`, and notices fields nobody read. */
class Fields {
  private readonly read = new Set<string>();
  valid = true;

  constructor(
    readonly row: Row,
    private readonly sink: Sink,
  ) {}

  fail(name: string, message: string): undefined {
    this.valid = false;
    this.sink.issues.push({ path: formatPath([this.row.index, "fields", name]), message });
    return undefined;
  }

  warn(name: string, message: string): void {
    warnAt(this.sink, this.row, name, message);
  }

  raw(name: string): unknown {
    this.read.add(name);
    return Object.hasOwn(this.row.fields, name) ? this.row.fields[name] : undefined;
  }

  /** A text field; Django writes blank ones as "", a hand-edited fixture may leave them out. */
  text(name: string): string {
    const v = this.raw(name);
    if (v === undefined || v === null) return "";
    if (typeof v !== "string") return this.fail(name, `must be a string, got ${show(v)}`) ?? "";
    return v;
  }

  /** A name: required, surrounding whitespace trimmed (a bundle name may not have any). */
  name(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return this.fail(name, "is required");
    if (typeof v !== "string") return this.fail(name, `must be a string, got ${show(v)}`);
    const trimmed = v.trim();
    if (trimmed === "") return this.fail(name, "must not be empty");
    if (trimmed !== v) this.warn(name, `${show(v)} was trimmed to ${show(trimmed)}`);
    return trimmed;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") return this.fail(name, `must be true or false, got ${show(v)}`) ?? fallback;
    return v;
  }

  intOrNull(name: string): number | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (!Number.isSafeInteger(v)) return this.fail(name, `must be an integer or null, got ${show(v)}`) ?? null;
    return v as number;
  }

  int(name: string, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!Number.isSafeInteger(v)) return this.fail(name, `must be an integer, got ${show(v)}`) ?? fallback;
    return v as number;
  }

  /** A foreign key: the pk of another row, or null where DDS allows it. */
  ref(name: string, nullable: boolean): number | null | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return nullable ? null : this.fail(name, "is required");
    if (!Number.isSafeInteger(v)) return this.fail(name, `must be the integer pk of a row, got ${show(v)}`);
    return v as number;
  }

  /** A DDS choice code mapped to its dscraper value. */
  code<T>(name: string, table: Readonly<Record<string, T>>, fallback?: string, expected = listOf(Object.keys(table), "or")): T | undefined {
    const v = this.raw(name) ?? fallback;
    if (v === undefined) return this.fail(name, "is required");
    if (typeof v === "string" && Object.hasOwn(table, v)) return table[v];
    return this.fail(name, `unknown code ${show(v)} (expected ${expected})`);
  }

  /** A JSON dict in a text field (headers, cookies, form data) as an object of strings; "" is {}. */
  jsonStrings(name: string): Record<string, string> {
    const text = this.text(name);
    if (text.trim() === "") return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return this.fail(name, `is not valid JSON (${e instanceof Error ? e.message : String(e)}): ${show(text)}`) ?? {};
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return this.fail(name, `must be a JSON object like {"name": "value"}, got ${show(text)}`) ?? {};
    }
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      // Scrapy sends no header for a None value; dropping it says the same.
      if (value === null) this.warn(name, `key ${show(key)} is null and was dropped`);
      else Object.defineProperty(out, key, { value: typeof value === "string" ? value : JSON.stringify(value), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  /** A DDS field dscraper has no place for: dropped, with a warning when it holds something. */
  drop(name: string, holdsSomething: (v: unknown) => boolean, why: string, describe: (v: unknown) => string = show): void {
    const v = this.raw(name);
    if (v !== undefined && v !== null && holdsSomething(v)) this.warn(name, `${describe(v)} was dropped: ${why}`);
  }

  /** Fields read on purpose and left out without a word (run-time state). */
  ignore(...names: string[]): void {
    for (const name of names) this.read.add(name);
  }

  /** Fields no reader asked for, e.g. from another DDS version, are named so that nothing is lost unseen. */
  finish(): void {
    for (const name of Object.keys(this.row.fields)) {
      if (!this.read.has(name)) this.warn(name, "is not a DDS 0.13 field and was ignored");
    }
  }
}

function warnAt(sink: Sink, row: Row, field: string, message: string): void {
  sink.warnings.push(`${row.model} pk ${row.pk}: ${field} ${message}`);
}

function show(v: unknown): string {
  const text = typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function listOf(items: readonly string[], conjunction: "or" | "and"): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)}`;
}

const nonEmptyString = (v: unknown) => typeof v !== "string" || v.trim() !== "";

// ---------------------------------------------------------------------------------------------------------
// Codes

const ATTR_TYPES = { S: "S", T: "T", B: "B", U: "U", I: "I" } as const;
const STATUSES = { A: "ACTIVE", M: "MANUAL", P: "PAUSED", I: "INACTIVE" } as const;
const PAGINATION_TYPES = { N: "NONE", R: "RANGE_FUNCT", F: "FREE_LIST", O: "FOLLOW" } as const;
const CONTENT_TYPES = { H: "HTML", X: "XML", J: "JSON" } as const;
const REQUEST_TYPES = { R: "plain", F: "form" } as const;
const METHODS = { GET: "GET", POST: "POST" } as const;
const CHECKER_TYPES = { "4": "404", X: "404_OR_X_PATH" } as const;
const DETAIL_PAGES = Object.fromEntries(Array.from({ length: 25 }, (_, n) => [`DP${n + 1}`, `DP${n + 1}`]));
const PAGE_TYPES: Readonly<Record<string, string>> = { MP: "MP", FP: "FP", ...DETAIL_PAGES };
const ELEM_PAGE_TYPES: Readonly<Record<string, string>> = { MP: "MP", ...DETAIL_PAGES };
const WORK_STATUSES: Readonly<Record<string, string>> = {
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

const SCHEDULER_KEYS = ["MIN_TIME", "MAX_TIME", "INITIAL_NEXT_ACTION_FACTOR", "ZERO_ACTIONS_FACTOR_CHANGE", "FACTOR_CHANGE_FACTOR"] as const;

// ---------------------------------------------------------------------------------------------------------
// Rows → records

interface ClassRecord {
  row: Row;
  cls: Omit<ClassInput, "attrs">;
}
interface AttrRecord {
  row: Row;
  classPk: number;
  attr: AttrInput;
}
interface ScraperRecord {
  row: Row;
  classPk: number;
  scraper: Omit<ScraperInput, "class" | "page_types" | "elems" | "checkers">;
}
interface PageTypeRecord {
  row: Row;
  scraperPk: number;
  attrPk: number | null;
  pageType: Omit<PageTypeInput, "attr">;
}
interface ElemRecord {
  row: Row;
  scraperPk: number;
  attrPk: number;
  elem: Omit<ElemInput, "attr">;
}
interface CheckerRecord {
  row: Row;
  scraperPk: number;
  attrPk: number;
  checker: Omit<CheckerInput, "attr">;
}

function readClass(f: Fields): ClassRecord | undefined {
  const name = f.name("name");
  const comments = f.text("comments");
  const scraperConf = schedulerConf(f, "scraper_scheduler_conf");
  const checkerConf = schedulerConf(f, "checker_scheduler_conf");
  if (name === undefined || !f.valid) return undefined;
  return {
    row: f.row,
    cls: {
      name,
      comments,
      ...(scraperConf && { scraper_scheduler_conf: scraperConf }),
      ...(checkerConf && { checker_scheduler_conf: checkerConf }),
    },
  };
}

/** A DDS scheduler conf (a Python dict body of numbers); an empty one is left out so dscraper's default applies. */
function schedulerConf(f: Fields, name: string): SchedulerConfInput | undefined {
  const text = f.text(name);
  const parsed = parseDictBody(text);
  if ("error" in parsed) return f.fail(name, `cannot be read as a Python dict body: ${parsed.error}; the text was ${show(text)}`);
  const entries = Object.entries(parsed.value);
  if (entries.length === 0) return undefined;
  const conf: Partial<Record<(typeof SCHEDULER_KEYS)[number], number>> = {};
  let ok = true;
  for (const [key, value] of entries) {
    if (!(SCHEDULER_KEYS as readonly string[]).includes(key)) {
      f.warn(name, `key ${pyRepr(key)} was dropped: DDS's scheduler does not use it`);
    } else if (typeof value !== "number") {
      ok = false;
      f.fail(name, `${key} must be a number, got ${pyRepr(value)}`);
    } else {
      conf[key as (typeof SCHEDULER_KEYS)[number]] = value;
    }
  }
  const missing = SCHEDULER_KEYS.filter((k) => conf[k] === undefined && !Object.hasOwn(parsed.value, k));
  if (missing.length) return f.fail(name, `misses ${listOf(missing, "and")} (DDS needs all of ${SCHEDULER_KEYS.join(", ")})`);
  if (!ok) return undefined;
  return conf as SchedulerConfInput;
}

function readAttr(f: Fields): AttrRecord | undefined {
  const name = f.name("name");
  const order = f.int("order", 100);
  const classPk = f.ref("obj_class", false);
  const attrType = f.code("attr_type", ATTR_TYPES);
  const idField = f.bool("id_field", false);
  const saveToDb = f.bool("save_to_db", true);
  if (name === undefined || classPk == null || attrType === undefined || !f.valid) return undefined;
  return { row: f.row, classPk, attr: { name, order, attr_type: attrType, id_field: idField, save_to_db: saveToDb } };
}

function readScraper(f: Fields): ScraperRecord | undefined {
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

function readPageType(f: Fields): PageTypeRecord | undefined {
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

function readElem(f: Fields): ElemRecord | undefined {
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

function readChecker(f: Fields): CheckerRecord | undefined {
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

// ---------------------------------------------------------------------------------------------------------
// The conversion

/**
 * Converts a parsed DDS fixture. Throws ValidationError (paths like `[7].fields.attr_type`) when a row is
 * malformed, refers to a pk the fixture lacks or to an attr of another class, or holds an unknown code or an
 * unreadable Python dict body. The bundle still has to pass `parseBundle`.
 */
export function convertDdsFixture(fixture: unknown): { bundle: BundleInput; report: DdsReport } {
  if (!Array.isArray(fixture)) {
    throw new ValidationError([{ path: "", message: `must be a JSON array of fixture rows as \`dumpdata dynamic_scraper\` writes it, got ${describeJson(fixture)}` }]);
  }
  const sink: Sink = { issues: [], warnings: [] };
  const report: DdsReport = {
    converted: { scrapedobjclass: 0, scrapedobjattr: 0, scraper: 0, requestpagetype: 0, scraperelem: 0, checker: 0 },
    scrapersWithoutSource: [],
    runtimesSkipped: 0,
    logsSkipped: 0,
    logMarkersSkipped: 0,
    warnings: sink.warnings,
  };

  // Every row with a usable pk, per model: a reference to a row that is there but invalid is not reported twice.
  const pks = new Map<string, Map<number, number>>();
  const rows: Row[] = [];
  fixture.forEach((entry: unknown, index) => {
    const row = readRow(entry, index, sink.issues);
    if (!row) return;
    if (row.kind === "schedulerruntime") report.runtimesSkipped++;
    else if (row.kind === "log") report.logsSkipped++;
    else if (row.kind === "logmarker") report.logMarkersSkipped++;
    else if (row.kind === undefined || !(DDS_DEFINITION_MODELS as readonly string[]).includes(row.kind)) {
      sink.warnings.push(`${row.model} pk ${row.pk}: not a DDS definition model, the row was skipped`);
    } else {
      const seen = pks.get(row.kind) ?? new Map<number, number>();
      pks.set(row.kind, seen);
      const first = seen.get(row.pk);
      if (first !== undefined) {
        sink.issues.push({ path: formatPath([index, "pk"]), message: `duplicate pk ${row.pk} for ${row.model} (also [${first}])` });
        return;
      }
      seen.set(row.pk, index);
      rows.push(row);
    }
  });

  const classes = new Map<number, ClassRecord>();
  const attrs = new Map<number, AttrRecord>();
  const scrapers = new Map<number, ScraperRecord>();
  const pageTypes: PageTypeRecord[] = [];
  const elems: ElemRecord[] = [];
  const checkers: CheckerRecord[] = [];
  for (const row of rows) {
    const f = new Fields(row, sink);
    switch (row.kind) {
      case "scrapedobjclass":
        put(classes, row.pk, readClass(f));
        break;
      case "scrapedobjattr":
        put(attrs, row.pk, readAttr(f));
        break;
      case "scraper":
        put(scrapers, row.pk, readScraper(f));
        break;
      case "requestpagetype":
        push(pageTypes, readPageType(f));
        break;
      case "scraperelem":
        push(elems, readElem(f));
        break;
      case "checker":
        push(checkers, readChecker(f));
        break;
    }
    f.finish();
  }

  const refs = new References(pks, sink.issues);
  const classAttrs = new Map<number, AttrRecord[]>();
  for (const a of attrs.values()) {
    if (!refs.exists(a.row, "obj_class", "scrapedobjclass", a.classPk)) continue;
    const list = classAttrs.get(a.classPk) ?? [];
    classAttrs.set(a.classPk, list);
    list.push(a);
  }
  for (const s of scrapers.values()) refs.exists(s.row, "scraped_obj_class", "scrapedobjclass", s.classPk);

  uniqueNames([...classes.values()].map((c) => ({ row: c.row, name: c.cls.name })), "class", sink.issues);
  uniqueNames([...scrapers.values()].map((s) => ({ row: s.row, name: s.scraper.name })), "scraper", sink.issues);
  for (const [classPk, list] of classAttrs) {
    const className = classes.get(classPk)?.cls.name ?? `pk ${classPk}`;
    uniqueNames(list.map((a) => ({ row: a.row, name: a.attr.name })), "attr", sink.issues, ` in class "${className}"`);
  }

  /** The attr `attrPk` by name, when it exists and belongs to the class of scraper `scraperPk`. */
  const attrFor = (row: Row, field: string, scraperPk: number, attrPk: number): string | undefined => {
    if (!refs.exists(row, field, "scrapedobjattr", attrPk)) return undefined;
    const scraper = scrapers.get(scraperPk);
    const attr = attrs.get(attrPk);
    // A row that is invalid itself, or whose class is missing, was reported already.
    if (!scraper || !attr || !classes.has(attr.classPk) || !classes.has(scraper.classPk)) return undefined;
    if (attr.classPk !== scraper.classPk) {
      const attrClass = classes.get(attr.classPk)?.cls.name ?? `pk ${attr.classPk}`;
      const scraperClass = classes.get(scraper.classPk)?.cls.name ?? `pk ${scraper.classPk}`;
      sink.issues.push({
        path: formatPath([row.index, "fields", field]),
        message: `attr pk ${attrPk} ("${attr.attr.name}") belongs to class "${attrClass}", not to class "${scraperClass}" of scraper "${scraper.scraper.name}"`,
      });
      return undefined;
    }
    return attr.attr.name;
  };

  const scraperParts = new Map<number, { page_types: PageTypeInput[]; elems: ElemInput[]; checkers: CheckerInput[] }>();
  const partsOf = (scraperPk: number) => {
    let parts = scraperParts.get(scraperPk);
    if (!parts) scraperParts.set(scraperPk, (parts = { page_types: [], elems: [], checkers: [] }));
    return parts;
  };
  for (const pt of byPk(pageTypes)) {
    if (!refs.exists(pt.row, "scraper", "scraper", pt.scraperPk)) continue;
    let attr: string | undefined;
    if (pt.attrPk === null && pt.pageType.page_type.startsWith("DP")) {
      sink.issues.push({
        path: formatPath([pt.row.index, "fields", "scraped_obj_attr"]),
        message: `is required for detail page type ${pt.pageType.page_type}: the DETAIL_PAGE_URL attr whose URL it requests`,
      });
      continue;
    }
    if (pt.attrPk !== null) {
      if (pt.pageType.page_type.startsWith("DP")) {
        attr = attrFor(pt.row, "scraped_obj_attr", pt.scraperPk, pt.attrPk);
        if (attr === undefined) continue;
      } else if (refs.exists(pt.row, "scraped_obj_attr", "scrapedobjattr", pt.attrPk)) {
        // DDS ignores the attr of a main or follow page; dscraper refuses one, so it goes.
        warnAt(sink, pt.row, "scraped_obj_attr", `${pt.attrPk} was dropped: only detail page types (DP1…DP25) are tied to an attr`);
      }
    }
    const { page_type, ...rest } = pt.pageType;
    partsOf(pt.scraperPk).page_types.push({ page_type, ...(attr !== undefined && { attr }), ...rest });
  }
  for (const e of byPk(elems)) {
    if (!refs.exists(e.row, "scraper", "scraper", e.scraperPk)) continue;
    const attr = attrFor(e.row, "scraped_obj_attr", e.scraperPk, e.attrPk);
    if (attr !== undefined) partsOf(e.scraperPk).elems.push({ attr, ...e.elem });
  }
  for (const c of byPk(checkers)) {
    if (!refs.exists(c.row, "scraper", "scraper", c.scraperPk)) continue;
    const attr = attrFor(c.row, "scraped_obj_attr", c.scraperPk, c.attrPk);
    if (attr !== undefined) partsOf(c.scraperPk).checkers.push({ attr, ...c.checker });
  }

  if (sink.issues.length) throw new ValidationError(sink.issues);

  const bundle = {
    classes: byPk([...classes.values()]).map((c) => ({ ...c.cls, attrs: byPk(classAttrs.get(c.row.pk) ?? []).map((a) => a.attr) })),
    scrapers: byPk([...scrapers.values()]).map((s) => {
      const { name, ...rest } = s.scraper;
      return { name, class: classes.get(s.classPk)!.cls.name, ...rest, ...partsOf(s.row.pk) };
    }),
    sources: [],
  } satisfies BundleInput;

  report.converted = {
    scrapedobjclass: bundle.classes.length,
    scrapedobjattr: bundle.classes.reduce((n, c) => n + c.attrs.length, 0),
    scraper: bundle.scrapers.length,
    requestpagetype: bundle.scrapers.reduce((n, s) => n + s.page_types.length, 0),
    scraperelem: bundle.scrapers.reduce((n, s) => n + s.elems.length, 0),
    checker: bundle.scrapers.reduce((n, s) => n + s.checkers.length, 0),
  };
  report.scrapersWithoutSource = bundle.scrapers.map((s) => s.name);
  return { bundle, report };
}

/** One fixture entry's envelope, checked; its fields are read by the model's reader. */
function readRow(entry: unknown, index: number, issues: Issue[]): Row | undefined {
  const at = (...path: PropertyKey[]) => formatPath([index, ...path]);
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    issues.push({ path: at(), message: `must be an object {"model", "pk", "fields"}, got ${describeJson(entry)}` });
    return undefined;
  }
  const { model, pk, fields } = entry as Record<string, unknown>;
  let ok = true;
  if (typeof model !== "string" || !model.includes(".")) {
    issues.push({ path: at("model"), message: `must be "app_label.model_name", got ${show(model)}` });
    ok = false;
  }
  if (!Number.isSafeInteger(pk)) {
    issues.push({ path: at("pk"), message: `must be an integer, got ${show(pk)}` });
    ok = false;
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    issues.push({ path: at("fields"), message: `must be an object, got ${describeJson(fields)}` });
    ok = false;
  }
  if (!ok) return undefined;
  const lower = (model as string).toLowerCase();
  const kind = lower.startsWith(`${APP}.`) ? lower.slice(APP.length + 1) : undefined;
  return { index, model: lower, kind, pk: pk as number, fields: fields as Record<string, unknown> };
}

class References {
  constructor(
    private readonly pks: ReadonlyMap<string, ReadonlyMap<number, number>>,
    private readonly issues: Issue[],
  ) {}

  /** Whether a row of `model` with `pk` is in the fixture; reports it at `[index].fields.field` when not. */
  exists(row: Row, field: string, model: DdsDefinitionModel, pk: number): boolean {
    if (this.pks.get(model)?.has(pk)) return true;
    this.issues.push({ path: formatPath([row.index, "fields", field]), message: `refers to ${APP}.${model} pk ${pk}, which is not in the fixture` });
    return false;
  }
}

/** Names are how bundle definitions refer to each other, so two of a kind with one name are ambiguous. */
function uniqueNames(items: readonly { row: Row; name: string }[], what: string, issues: Issue[], within = ""): void {
  const seen = new Map<string, Row>();
  for (const item of byPk(items)) {
    const first = seen.get(item.name);
    if (first) {
      issues.push({
        path: formatPath([item.row.index, "fields", "name"]),
        message: `duplicate ${what} name "${item.name}"${within} (also pk ${first.pk} at [${first.index}]); dscraper refers to definitions by name, rename one`,
      });
    } else seen.set(item.name, item.row);
  }
}

function byPk<T extends { row: Row }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.row.pk - b.row.pk);
}

function put<T>(map: Map<number, T>, pk: number, value: T | undefined): void {
  if (value !== undefined) map.set(pk, value);
}

function push<T>(list: T[], value: T | undefined): void {
  if (value !== undefined) list.push(value);
}

function describeJson(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${show(v)}`;
}
