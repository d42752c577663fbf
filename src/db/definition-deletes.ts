/**
 * @module
 * Deleting a definition, with the rules that keep the data whole: a class still used by a scraper, or a scraper
 * still used by a source, is refused (409) naming them; a class or a source that still has items is refused unless
 * the caller asks for a cascade, which deletes the items first — a slice at a time, each with its runtime and its
 * image files (`deleteItems`) — and then the definition. A source being crawled is refused naming the job.
 */
import { and, eq, inArray } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../errors.ts";
import { ACTIVE_JOB_STATUSES } from "../model/enums.ts";
import type { BlobStore } from "../ports.ts";
import type { Database } from "./connect.ts";
import { itemIdsOf, itemTotal } from "./item-list.ts";
import { deleteItems } from "./items.ts";
import { classes, jobs, scrapers, sources } from "./schema.ts";

export interface DeletedDefinition {
  /** Items deleted with it (a cascade). */
  items: number;
  /** Image files deleted with those items. */
  files: number;
}

const SLICE = 500;

export async function deleteClass(database: Database, store: BlobStore, id: number, cascade: boolean): Promise<DeletedDefinition> {
  const { db } = database;
  const [cls] = await db.select({ name: classes.name }).from(classes).where(eq(classes.id, id));
  if (!cls) throw new NotFoundError(`no class with id ${id}`);
  const users = await db.select({ name: scrapers.name }).from(scrapers).where(eq(scrapers.class_id, id));
  if (users.length) throw new ConflictError(`class "${cls.name}" is used by ${quoted(users.map((u) => u.name), "scraper")}: delete them or give them another class first`);
  const deleted = await deleteOwnedItems(database, store, { classId: id }, cascade, `class "${cls.name}"`);
  await refusedWhileReferenced(() => db.delete(classes).where(eq(classes.id, id)), `class "${cls.name}"`);
  return deleted;
}

export async function deleteScraper(database: Database, id: number): Promise<void> {
  const { db } = database;
  const [scraper] = await db.select({ name: scrapers.name }).from(scrapers).where(eq(scrapers.id, id));
  if (!scraper) throw new NotFoundError(`no scraper with id ${id}`);
  const users = await db.select({ name: sources.name }).from(sources).where(eq(sources.scraper_id, id));
  if (users.length) throw new ConflictError(`scraper "${scraper.name}" is used by ${quoted(users.map((u) => u.name), "source")}: delete them or give them another scraper first`);
  // Its log rows and log markers go with it; its jobs keep their history without it.
  await refusedWhileReferenced(() => db.delete(scrapers).where(eq(scrapers.id, id)), `scraper "${scraper.name}"`);
}

export async function deleteSource(database: Database, store: BlobStore, id: number, cascade: boolean): Promise<DeletedDefinition> {
  const { db } = database;
  const [source] = await db.select({ name: sources.name }).from(sources).where(eq(sources.id, id));
  if (!source) throw new NotFoundError(`no source with id ${id}`);
  const [job] = await db
    .select({ id: jobs.id, status: jobs.status })
    .from(jobs)
    .where(and(eq(jobs.kind, "crawl"), eq(jobs.source_id, id), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])));
  if (job) throw new ConflictError(`source "${source.name}" is being crawled by job ${job.id} (${job.status}): cancel it first (POST /api/jobs/${job.id}/cancel)`);
  const deleted = await deleteOwnedItems(database, store, { sourceId: id }, cascade, `source "${source.name}"`);
  // Its runtime and its pages' validators go with it; its jobs keep their history without it.
  await refusedWhileReferenced(() => db.delete(sources).where(eq(sources.id, id)), `source "${source.name}"`);
  return deleted;
}

async function deleteOwnedItems(database: Database, store: BlobStore, owner: { classId: number } | { sourceId: number }, cascade: boolean, what: string): Promise<DeletedDefinition> {
  const { total } = await itemTotal(database, owner, 0);
  if (total === 0) return { items: 0, files: 0 };
  if (!cascade) throw new ConflictError(`${what} still has ${total} item${total === 1 ? "" : "s"}: delete ${total === 1 ? "it" : "them"} with it by adding ?cascade=true (their image files go too)`);
  const deleted = { items: 0, files: 0 };
  for (;;) {
    const ids = await itemIdsOf(database, owner, SLICE);
    if (ids.length === 0) return deleted;
    const slice = await deleteItems(database, store, ids);
    deleted.items += slice.items;
    deleted.files += slice.files.length;
  }
}

/** The definition's delete, which the database refuses when something was added to it meanwhile (a crawl's items). */
async function refusedWhileReferenced(remove: () => Promise<unknown>, what: string): Promise<void> {
  try {
    await remove();
  } catch (e) {
    for (let c: unknown = e; c instanceof Error; c = c.cause) {
      if (c.message.includes("FOREIGN KEY constraint failed")) throw new ConflictError(`${what} got new items or users while it was being deleted: try again`);
    }
    throw e;
  }
}

function quoted(names: readonly string[], what: string): string {
  const shown = names.slice(0, 5).map((n) => `"${n}"`).join(", ");
  return `${names.length} ${what}${names.length === 1 ? "" : "s"} (${shown}${names.length > 5 ? ", …" : ""})`;
}
