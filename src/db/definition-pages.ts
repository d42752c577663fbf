/**
 * @module
 * Definitions as the API lists and shows them: a page of each kind in id order, one by id or by name, with the
 * names their references need (a scraper's class, a source's scraper) and a source's runtime; and how many of
 * each kind there are.
 */
import { asc, count, eq, sql } from "drizzle-orm";
import type { Database } from "./connect.ts";
import type { ClassRow, ScraperRow, SourceRow } from "./definitions.ts";
import type { RuntimeRow } from "./runtimes.ts";
import { classes, scheduler_runtimes, scrapers, sources } from "./schema.ts";

/** One definition by id or by name (a name may be all digits, so the two are never guessed from a string). */
export type DefinitionKey = { id: number } | { name: string };

/** A slice of a list in id order. */
export interface Slice {
  offset: number;
  limit: number;
}

export interface ScraperView {
  scraper: ScraperRow;
  className: string;
}

export interface SourceView {
  source: SourceRow;
  scraperName: string;
  runtime: RuntimeRow | null;
}

export async function classesPage(database: Database, slice: Slice): Promise<ClassRow[]> {
  return database.db.select().from(classes).orderBy(asc(classes.id)).limit(slice.limit).offset(slice.offset);
}

export async function classWith(database: Database, key: DefinitionKey): Promise<ClassRow | undefined> {
  const [row] = await database.db
    .select()
    .from(classes)
    .where("id" in key ? eq(classes.id, key.id) : eq(classes.name, key.name));
  return row;
}

function scraperViews(database: Database) {
  return database.db.select({ scraper: scrapers, className: classes.name }).from(scrapers).innerJoin(classes, eq(classes.id, scrapers.class_id));
}

export async function scrapersPage(database: Database, slice: Slice): Promise<ScraperView[]> {
  return scraperViews(database).orderBy(asc(scrapers.id)).limit(slice.limit).offset(slice.offset);
}

export async function scraperWith(database: Database, key: DefinitionKey): Promise<ScraperView | undefined> {
  const [row] = await scraperViews(database).where("id" in key ? eq(scrapers.id, key.id) : eq(scrapers.name, key.name));
  return row;
}

function sourceViews(database: Database) {
  return database.db
    .select({ source: sources, scraperName: scrapers.name, runtime: scheduler_runtimes })
    .from(sources)
    .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
    .leftJoin(scheduler_runtimes, eq(scheduler_runtimes.source_id, sources.id));
}

export async function sourcesPage(database: Database, slice: Slice): Promise<SourceView[]> {
  return sourceViews(database).orderBy(asc(sources.id)).limit(slice.limit).offset(slice.offset);
}

export async function sourceWith(database: Database, key: DefinitionKey): Promise<SourceView | undefined> {
  const [row] = await sourceViews(database).where("id" in key ? eq(sources.id, key.id) : eq(sources.name, key.name));
  return row;
}

const TABLES = { classes, scrapers, sources } as const;

export async function definitionCount(database: Database, kind: keyof typeof TABLES): Promise<number> {
  const [row] = await database.db.select({ n: count() }).from(TABLES[kind]);
  return row?.n ?? 0;
}

/** Names of scrapers starting with `prefix` (for naming a clone). */
export async function scraperNamesStarting(database: Database, prefix: string): Promise<Set<string>> {
  const rows = await database.db
    .select({ name: scrapers.name })
    .from(scrapers)
    .where(sql`instr(${scrapers.name}, ${prefix}) = 1`);
  return new Set(rows.map((r) => r.name));
}

/** The first `limit` sources of a scraper, by id (the admin's "try it" starts from the first). */
export async function sourcesOfScraper(database: Database, scraperId: number, limit: number): Promise<SourceView[]> {
  return sourceViews(database).where(eq(sources.scraper_id, scraperId)).orderBy(asc(sources.id)).limit(limit);
}
