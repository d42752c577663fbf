/**
 * @module
 * `export`: the stored definitions as a bundle, in the order they were created, each in the key order of its
 * schema, so that export → import → export is byte-identical.
 */
import { asc, eq } from "drizzle-orm";
import type { Bundle } from "../model/bundle.ts";
import type { Database } from "../ports.ts";
import { classes, scrapers, sources } from "../db/schema.ts";

export async function exportBundle(database: Database): Promise<Bundle> {
  const { db } = database;
  const classRows = await db.select().from(classes).orderBy(asc(classes.id));
  const scraperRows = await db
    .select({ scraper: scrapers, className: classes.name })
    .from(scrapers)
    .innerJoin(classes, eq(classes.id, scrapers.class_id))
    .orderBy(asc(scrapers.id));
  const sourceRows = await db
    .select({ source: sources, scraperName: scrapers.name })
    .from(sources)
    .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
    .orderBy(asc(sources.id));
  return {
    classes: classRows.map((c) => ({ name: c.name, ...c.definition })),
    scrapers: scraperRows.map(({ scraper: s, className }) => ({ name: s.name, class: className, status: s.status, ...s.definition })),
    sources: sourceRows.map(({ source: s, scraperName }) => ({ name: s.name, url: s.url, scraper: scraperName, active: s.active, urls: s.urls })),
  };
}

/** The bundle as written to a file: two-space JSON and a final newline. */
export function bundleJson(bundle: Bundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}
