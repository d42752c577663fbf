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
import { readAttr, readClass, type AttrRecord, type ClassRecord } from "./dds-classes.ts";
import { DDS_DEFINITION_MODELS, type CheckerInput, type DdsDefinitionModel, type ElemInput, type PageTypeInput } from "./dds-codes.ts";
import { byPk, describeJson, Fields, push, put, readRow, References, warnAt, type Row, type Sink } from "./dds-fields.ts";
import { readChecker, readElem, readPageType, readScraper, type CheckerRecord, type ElemRecord, type PageTypeRecord, type ScraperRecord } from "./dds-scrapers.ts";

export { DDS_DEFINITION_MODELS, type DdsDefinitionModel } from "./dds-codes.ts";
export { splitProcessors } from "./dds-scrapers.ts";

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
