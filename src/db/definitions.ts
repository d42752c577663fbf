/**
 * @module
 * Reading the stored definitions: a source with its scraper and class (what a run needs, in one read), scrapers
 * by name or id, the ones with checkers, their alert periods, everything for an export, and the sources with
 * their runtimes.
 */
import { and, asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { NotFoundError } from "../errors.ts";
import type { Bundle, KnownDefinitions } from "../model/bundle.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { Database, Db } from "./connect.ts";
import type { RuntimeRow } from "./runtimes.ts";
import { classes, scheduler_runtimes, scrapers, sources } from "./schema.ts";

export type SourceRow = typeof sources.$inferSelect;
export type ScraperRow = typeof scrapers.$inferSelect;
export type ClassRow = typeof classes.$inferSelect;

export interface SourceDefinitions {
  source: SourceRow;
  scraper: ScraperRow;
  cls: ClassRow;
}

/** `ref` is an id when it is all digits. */
function isId(ref: string | number): boolean {
  return typeof ref === "number" || /^\d+$/.test(ref);
}

/** A source by id (all digits) or name, with its scraper and class. */
export async function loadSource(database: Database, ref: string | number): Promise<SourceDefinitions> {
  const byId = isId(ref);
  const [row] = await database.db
    .select({ source: sources, scraper: scrapers, cls: classes })
    .from(sources)
    .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
    .innerJoin(classes, eq(classes.id, scrapers.class_id))
    .where(byId ? eq(sources.id, Number(ref)) : eq(sources.name, String(ref)));
  if (!row) throw new NotFoundError(`no source ${byId ? `with id ${ref}` : `named "${ref}"`}`);
  return row;
}

/** A scraper by name with its class's name. */
export async function scraperByName(database: Database, name: string): Promise<{ name: string; className: string; status: ScraperRow["status"]; body: ScraperRow["definition"] }> {
  const [row] = await database.db
    .select({ name: scrapers.name, className: classes.name, status: scrapers.status, body: scrapers.definition })
    .from(scrapers)
    .innerJoin(classes, eq(classes.id, scrapers.class_id))
    .where(eq(scrapers.name, name));
  if (!row) throw new NotFoundError(`no scraper named "${name}"`);
  return row;
}

export async function classBodyByName(database: Database, name: string): Promise<ScrapedClassBody> {
  const [row] = await database.db.select({ definition: classes.definition }).from(classes).where(eq(classes.name, name));
  if (!row) throw new NotFoundError(`no class named "${name}"`);
  return row.definition;
}

/** A scraper as the checker tests read it. */
export interface StoredScraper {
  id: number;
  name: string;
  status: ScraperRow["status"];
  body: ScraperRow["definition"];
}

const scraperColumns = { id: scrapers.id, name: scrapers.name, status: scrapers.status, body: scrapers.definition };

/** A scraper by id (all digits) or name. */
export async function findScraper(database: Database, ref: string | number): Promise<StoredScraper> {
  const byId = isId(ref);
  const [row] = await database.db
    .select(scraperColumns)
    .from(scrapers)
    .where(byId ? eq(scrapers.id, Number(ref)) : eq(scrapers.name, String(ref)));
  if (!row) throw new NotFoundError(`no scraper ${byId ? `with id ${ref}` : `named "${ref}"`}`);
  return row;
}

/** Every scraper that has checkers, by id; with `onlyActive` the ACTIVE ones only (DDS `--only-active`). */
export async function scrapersWithCheckers(database: Database, { onlyActive }: { onlyActive: boolean }): Promise<StoredScraper[]> {
  const conditions: SQL[] = [sql`json_array_length(${scrapers.definition}, '$.checkers') > 0`];
  if (onlyActive) conditions.push(eq(scrapers.status, "ACTIVE"));
  return database.db
    .select(scraperColumns)
    .from(scrapers)
    .where(and(...conditions))
    .orderBy(asc(scrapers.id));
}

/** A scraper's alert period and the last time it did what the period watches. */
export interface AlertPeriodRow {
  id: number;
  name: string;
  status: ScraperRow["status"];
  /** The period as written in the definition; null when the field is absent. */
  period: string | null;
  /** How many checkers the scraper has. */
  checkers: number | null;
  /** The last save (or checker delete); null when there has been none. */
  last: Date | null;
  created_at: Date;
}

/**
 * Every scraper (ACTIVE ones with `onlyActive`) with its `last_scraper_save_alert_period` and last save (`save`),
 * or its `last_checker_delete_alert_period` and last checker delete (`delete`), by id. Only those fields are read
 * out of the definition JSON, not the whole definition of every scraper.
 */
export async function alertPeriods(database: Database, kind: "save" | "delete", { onlyActive }: { onlyActive: boolean }): Promise<AlertPeriodRow[]> {
  const field = kind === "save" ? "last_scraper_save_alert_period" : "last_checker_delete_alert_period";
  return database.db
    .select({
      id: scrapers.id,
      name: scrapers.name,
      status: scrapers.status,
      period: sql<string | null>`json_extract(${scrapers.definition}, ${`$.${field}`})`,
      checkers: sql<number | null>`json_array_length(${scrapers.definition}, '$.checkers')`,
      last: kind === "save" ? scrapers.last_scraper_save : scrapers.last_checker_delete,
      created_at: scrapers.created_at,
    })
    .from(scrapers)
    .where(onlyActive ? eq(scrapers.status, "ACTIVE") : undefined)
    .orderBy(asc(scrapers.id));
}

/** The scraper's checkers deleted an item now (for `check-last-deletes`). */
export async function markCheckerDelete(database: Database, scraperId: number, now: Date): Promise<void> {
  await database.db.update(scrapers).set({ last_checker_delete: now }).where(eq(scrapers.id, scraperId));
}

/** Every definition, each kind in creation order, with the names their references need. */
export async function allDefinitions(database: Database): Promise<{
  classes: ClassRow[];
  scrapers: { scraper: ScraperRow; className: string }[];
  sources: { source: SourceRow; scraperName: string }[];
}> {
  const { db } = database;
  return {
    classes: await db.select().from(classes).orderBy(asc(classes.id)),
    scrapers: await db
      .select({ scraper: scrapers, className: classes.name })
      .from(scrapers)
      .innerJoin(classes, eq(classes.id, scrapers.class_id))
      .orderBy(asc(scrapers.id)),
    sources: await db
      .select({ source: sources, scraperName: scrapers.name })
      .from(sources)
      .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
      .orderBy(asc(sources.id)),
  };
}

/** Every source with its scraper's name and status and its runtime (if any), by id. */
export async function sourcesWithRuntimes(database: Database): Promise<{ source: SourceRow; scraper: string; status: ScraperRow["status"]; runtime: RuntimeRow | null }[]> {
  return database.db
    .select({ source: sources, scraper: scrapers.name, status: scrapers.status, runtime: scheduler_runtimes })
    .from(sources)
    .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
    .leftJoin(scheduler_runtimes, eq(scheduler_runtimes.source_id, sources.id))
    .orderBy(asc(sources.id));
}

/** The classes and scrapers the bundle refers to without defining them, as the database has them. */
export function storedReferences(database: Database, bundle: Bundle): Promise<KnownDefinitions> {
  return referencesIn(database.db, bundle);
}

/** {@link storedReferences} inside a transaction. */
export async function referencesIn(tx: Pick<Db, "select">, bundle: Bundle): Promise<KnownDefinitions> {
  const definedClasses = new Set(bundle.classes.map((c) => c.name));
  const definedScrapers = new Set(bundle.scrapers.map((s) => s.name));
  const classNames = [...new Set(bundle.scrapers.map((s) => s.class))].filter((n) => !definedClasses.has(n));
  const scraperNames = [...new Set(bundle.sources.map((s) => s.scraper))].filter((n) => !definedScrapers.has(n));
  const storedClasses = classNames.length
    ? await tx.select({ name: classes.name, definition: classes.definition }).from(classes).where(inArray(classes.name, classNames))
    : [];
  const storedScrapers = scraperNames.length
    ? await tx.select({ name: scrapers.name }).from(scrapers).where(inArray(scrapers.name, scraperNames))
    : [];
  const attrsOf = new Map(storedClasses.map((c) => [c.name, c.definition.attrs]));
  const scraperSet = new Set(storedScrapers.map((s) => s.name));
  return { classAttrs: (name) => attrsOf.get(name), hasScraper: (name) => scraperSet.has(name) };
}
