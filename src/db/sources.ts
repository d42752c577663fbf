/**
 * @module
 * Sources with everything a run needs: the source, its scraper and the scraper's class, in one read.
 */
import { eq } from "drizzle-orm";
import { NotFoundError } from "../errors.ts";
import type { Db } from "./connect.ts";
import { classes, scrapers, sources } from "./schema.ts";

export type SourceRow = typeof sources.$inferSelect;
export type ScraperRow = typeof scrapers.$inferSelect;
export type ClassRow = typeof classes.$inferSelect;

export interface SourceDefinitions {
  source: SourceRow;
  scraper: ScraperRow;
  cls: ClassRow;
}

/** A source by id (all digits) or name. */
export async function loadSource(db: Db, ref: string | number): Promise<SourceDefinitions> {
  const byId = typeof ref === "number" || /^\d+$/.test(ref);
  const [row] = await db
    .select({ source: sources, scraper: scrapers, cls: classes })
    .from(sources)
    .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
    .innerJoin(classes, eq(classes.id, scrapers.class_id))
    .where(byId ? eq(sources.id, Number(ref)) : eq(sources.name, String(ref)));
  if (!row) throw new NotFoundError(`no source ${byId ? `with id ${ref}` : `named "${ref}"`}`);
  return row;
}
