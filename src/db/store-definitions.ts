/**
 * @module
 * Storing a definitions bundle, all or nothing, in one transaction. Definitions are upserted by name: a named
 * definition's children are replaced as a whole, ids of surviving names are kept, items and runtimes are never
 * touched (a new source gets its runtime). Unchanged definitions are not written at all, so storing the same
 * bundle twice changes nothing.
 */
import { eq } from "drizzle-orm";
import type { Bundle, KnownDefinitions } from "../model/bundle.ts";
import type { ScraperBody } from "../model/scraper.ts";
import type { Db, Database } from "./connect.ts";
import { claimTarget, type DefinitionTarget } from "./definition-target.ts";
import { referencesIn } from "./definitions.ts";
import { createSourceRuntime, refreshRunnable } from "./runtimes.ts";
import { classes, scrapers, sources } from "./schema.ts";

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportReport {
  classes: ImportCounts;
  scrapers: ImportCounts;
  sources: ImportCounts;
}

/** What the database holds that a bundle must agree with, read inside the import's transaction. */
export interface StoredForImport {
  /** The classes and scrapers the bundle refers to without defining them. */
  references: KnownDefinitions;
  /** The stored scrapers of each class the bundle defines (by class name), which an attr change must still fit. */
  scrapersOfClass: ReadonlyMap<string, readonly { name: string; definition: ScraperBody }[]>;
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Stores the bundle. `check` sees what is stored, inside the transaction, before anything is written; whatever it
 * throws rolls the import back. A `target` (an API write of one definition) is checked and renamed first.
 */
export async function storeDefinitions(database: Database, bundle: Bundle, now: Date, check: (stored: StoredForImport) => void, target?: DefinitionTarget): Promise<ImportReport> {
  return database.db.transaction(async (tx) => {
    if (target) await claimTarget(tx, target);
    const scrapersOfClass = new Map<string, { name: string; definition: ScraperBody }[]>();
    for (const cls of bundle.classes) {
      scrapersOfClass.set(
        cls.name,
        await tx
          .select({ name: scrapers.name, definition: scrapers.definition })
          .from(scrapers)
          .innerJoin(classes, eq(classes.id, scrapers.class_id))
          .where(eq(classes.name, cls.name)),
      );
    }
    check({ references: await referencesIn(tx, bundle), scrapersOfClass });
    const classIds = await upsertClasses(tx, bundle);
    const scraperResult = await upsertScrapers(tx, bundle, classIds);
    const sourceResult = await upsertSources(tx, bundle, now);
    await refreshRunnable(tx, [...new Set([...scraperResult.runnableChanged, ...sourceResult.runnableChanged])]);
    return { classes: classIds.counts, scrapers: scraperResult.counts, sources: sourceResult.counts };
  });
}

function emptyCounts(): ImportCounts {
  return { created: 0, updated: 0, unchanged: 0 };
}

async function upsertClasses(tx: Tx, bundle: Bundle) {
  const counts = emptyCounts();
  const ids = new Map<string, number>();
  for (const { name, ...definition } of bundle.classes) {
    const [existing] = await tx.select().from(classes).where(eq(classes.name, name));
    if (!existing) {
      const [row] = await tx.insert(classes).values({ name, definition }).returning({ id: classes.id });
      ids.set(name, row!.id);
      counts.created++;
    } else {
      ids.set(name, existing.id);
      if (sameJson(existing.definition, definition)) counts.unchanged++;
      else {
        await tx.update(classes).set({ definition }).where(eq(classes.id, existing.id));
        counts.updated++;
      }
    }
  }
  return { counts, get: async (name: string) => ids.get(name) ?? (await idByName(tx, name)) };
}

async function idByName(tx: Tx, name: string): Promise<number> {
  const [row] = await tx.select({ id: classes.id }).from(classes).where(eq(classes.name, name));
  if (!row) throw new Error(`class "${name}" vanished during import`);
  return row.id;
}

async function upsertScrapers(tx: Tx, bundle: Bundle, classIds: { get(name: string): Promise<number> }) {
  const counts = emptyCounts();
  const runnableChanged: number[] = [];
  for (const { name, class: className, status, ...definition } of bundle.scrapers) {
    const class_id = await classIds.get(className);
    const [existing] = await tx.select().from(scrapers).where(eq(scrapers.name, name));
    if (!existing) {
      await tx.insert(scrapers).values({ name, class_id, status, definition });
      counts.created++;
      continue;
    }
    if (existing.class_id === class_id && existing.status === status && sameJson(existing.definition, definition)) {
      counts.unchanged++;
      continue;
    }
    await tx.update(scrapers).set({ class_id, status, definition }).where(eq(scrapers.id, existing.id));
    counts.updated++;
    if (existing.status !== status || (existing.definition.checkers.length > 0) !== (definition.checkers.length > 0)) {
      runnableChanged.push(existing.id);
    }
  }
  return { counts, runnableChanged };
}

async function upsertSources(tx: Tx, bundle: Bundle, now: Date) {
  const counts = emptyCounts();
  const runnableChanged: number[] = [];
  for (const { name, scraper, url, urls, active } of bundle.sources) {
    const [owner] = await tx.select({ id: scrapers.id }).from(scrapers).where(eq(scrapers.name, scraper));
    const scraper_id = owner!.id;
    const [existing] = await tx.select().from(sources).where(eq(sources.name, name));
    if (!existing) {
      const [row] = await tx.insert(sources).values({ name, scraper_id, url, urls, active }).returning({ id: sources.id });
      await createSourceRuntime(tx, row!.id, now);
      counts.created++;
      continue;
    }
    if (existing.scraper_id === scraper_id && existing.url === url && existing.active === active && sameJson(existing.urls, urls)) {
      counts.unchanged++;
      continue;
    }
    await tx.update(sources).set({ scraper_id, url, urls, active }).where(eq(sources.id, existing.id));
    counts.updated++;
    if (existing.active !== active || existing.scraper_id !== scraper_id) runnableChanged.push(scraper_id);
  }
  return { counts, runnableChanged };
}

/** Definitions are stored as the JSON of their parsed form, so equal definitions serialise identically. */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
