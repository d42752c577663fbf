/**
 * @module
 * `import`: stores a definitions bundle, all or nothing. Definitions are upserted by name: a named definition's
 * children are replaced as a whole, ids of surviving names are kept, items and runtimes are never touched (a new
 * source gets its runtime). Unchanged definitions are not written at all, so importing twice changes nothing.
 */
import { eq, inArray } from "drizzle-orm";
import { formatPath, ValidationError, type Issue } from "../errors.ts";
import type { Attr } from "../model/attr.ts";
import { assertBundleReferences, parseBundleShape, type Bundle, type KnownDefinitions } from "../model/bundle.ts";
import { checkScraperAgainstClass } from "../model/scraper.ts";
import type { Clock, Database } from "../ports.ts";
import type { Db } from "../db/connect.ts";
import { createSourceRuntime, refreshRunnable } from "../db/runtimes.ts";
import { classes, scrapers, sources } from "../db/schema.ts";

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

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export async function importBundle(database: Database, input: unknown, clock: Clock): Promise<ImportReport> {
  const bundle = parseBundleShape(input);
  return database.db.transaction(async (tx) => {
    assertBundleReferences(bundle, await storedReferences(tx, bundle));
    await assertStoredScrapersStillFit(tx, bundle);
    const classIds = await upsertClasses(tx, bundle);
    const scraperResult = await upsertScrapers(tx, bundle, classIds);
    const sourceResult = await upsertSources(tx, bundle, clock.now());
    await refreshRunnable(tx, [...new Set([...scraperResult.runnableChanged, ...sourceResult.runnableChanged])]);
    return { classes: classIds.counts, scrapers: scraperResult.counts, sources: sourceResult.counts };
  });
}

/** The classes and scrapers the bundle refers to without defining them, as the database has them. */
export async function storedReferences(tx: Pick<Db, "select">, bundle: Bundle): Promise<KnownDefinitions> {
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

/** A class whose attrs change must still fit the stored scrapers of that class that the bundle leaves alone. */
async function assertStoredScrapersStillFit(tx: Tx, bundle: Bundle): Promise<void> {
  const inBundle = new Set(bundle.scrapers.map((s) => s.name));
  const issues: Issue[] = [];
  for (const [i, cls] of bundle.classes.entries()) {
    const stored = await tx
      .select({ name: scrapers.name, definition: scrapers.definition })
      .from(scrapers)
      .innerJoin(classes, eq(classes.id, scrapers.class_id))
      .where(eq(classes.name, cls.name));
    for (const scraper of stored.filter((s) => !inBundle.has(s.name))) {
      checkScraperAgainstClass(scraper.definition, cls.attrs as Attr[], cls.name, (path, message) =>
        issues.push({
          path: formatPath(["classes", i, "attrs"]),
          message: `stored scraper "${scraper.name}" would no longer fit: ${formatPath(path)} ${message}`,
        }),
      );
    }
  }
  if (issues.length) throw new ValidationError(issues);
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
