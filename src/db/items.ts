/**
 * @module
 * Items: what the pipeline stores (new items with their checker runtimes and image references, changed values of
 * known ones, in one batch per call), what a check reads, reading them page by page for exports (INTERFACE.md's
 * item shape), and deleting items whoever deletes them (a checker, the API, a clean-up): the rows go with their
 * runtimes and image references, and each image file goes with the last item that used it (SPEC.md §5).
 */
import type { InStatement } from "@libsql/client/web";
import { LeaseLostError } from "../errors.ts";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Checker } from "../model/checker.ts";
import type { Item } from "../model/item.ts";
import type { ScraperStatus } from "../model/enums.ts";
import type { PageType } from "../model/page-type.ts";
import type { BlobStore } from "../ports.ts";
import type { Database } from "./connect.ts";
import type { ClassRow } from "./definitions.ts";
import type { JobLease } from "./jobs.ts";
import { withImages } from "./item-list.ts";
import { classes, items, scheduler_runtimes, scrapers, sources } from "./schema.ts";

export type ItemData = Record<string, unknown>;

/** A stored item as the pipeline compares it with a new read. */
export interface KnownItem {
  id: number;
  data: ItemData;
}

/** Stored items by unique key, for the keys that exist. */
export async function knownItems(database: Database, keys: readonly string[]): Promise<Map<string, KnownItem>> {
  const known = new Map<string, KnownItem>();
  if (keys.length === 0) return known;
  const placeholders = keys.map(() => "?").join(", ");
  const rows = await database.client.execute({ sql: `SELECT id, unique_key, data FROM items WHERE unique_key IN (${placeholders})`, args: [...keys] });
  for (const row of rows.rows) known.set(String(row.unique_key), { id: Number(row.id), data: JSON.parse(String(row.data)) as ItemData });
  return known;
}

/** A known item's new data, and the store keys of images it gained (their `item_images` rows). */
export interface ItemUpdate extends KnownItem {
  imageKeys?: readonly string[];
}

export interface NewItem {
  key: string;
  url: string | null;
  data: ItemData;
  /** Store keys of its images. */
  imageKeys: readonly string[];
}

/** What one pipeline batch writes, all in one transaction. */
export interface ItemWrites {
  /** Where new items belong. */
  classId: number;
  sourceId: number;
  /** Known items whose values changed: their whole new data. */
  updates: readonly ItemUpdate[];
  /** New items, saved with a checker runtime each. */
  inserts: readonly NewItem[];
  /** Known items read again without a change: only their `last_seen_at` moves. */
  seen?: readonly number[];
  /** Whether the new items' checker runtimes can come due (their scraper is ACTIVE and has checkers). */
  checkersRunnable: boolean;
  /** When the new items are first checked. */
  firstCheckAt: Date;
  /** The scraper whose `last_scraper_save` becomes `now` (when the run has saved an item). */
  savedBy?: number;
  /** The job whose run writes: the batch is refused (LeaseLostError) once the job is no longer the run's. */
  fence?: JobLease;
}

/**
 * Writes a batch of items in one round trip (one `batch` call, one transaction), whatever its size: new items
 * and their runtimes take two statements, because statements are prepared one by one (and over HTTP each is
 * sent), so one multi-row INSERT beats a statement per item.
 */
export async function saveItems(database: Database, writes: ItemWrites, now: Date): Promise<void> {
  const at = now.getTime();
  const statements: InStatement[] = writes.updates.map((u) => ({ sql: "UPDATE items SET data = ?, updated_at = ?, last_seen_at = ? WHERE id = ?", args: [JSON.stringify(u.data), at, at, u.id] }));
  statements.push(...updatedImageRows(writes.updates));
  const seen = writes.seen ?? [];
  if (seen.length) statements.push({ sql: `UPDATE items SET last_seen_at = ? WHERE id IN (${seen.map(() => "?").join(", ")})`, args: [at, ...seen] });
  if (writes.inserts.length) statements.push(...insertStatements(writes, at));
  if (statements.length === 0) return;
  if (writes.savedBy !== undefined) statements.push({ sql: "UPDATE scrapers SET last_scraper_save = ? WHERE id = ?", args: [at, writes.savedBy] });
  const { fence } = writes;
  // First in the batch: a failed check rolls back everything after it (drizzle/0006_lease_fence.sql).
  if (fence) statements.unshift({ sql: "INSERT INTO job_lease_checks (job_id, attempt) VALUES (?, ?)", args: [fence.id, fence.attempt] });
  try {
    await database.client.batch(statements, "write");
  } catch (e) {
    if (fence && causes(e).some((c) => c.includes("job lease lost"))) throw new LeaseLostError(fence.id);
    throw e;
  }
}

/** The messages of an error and its causes (drivers wrap what SQLite said). */
function causes(e: unknown): string[] {
  const out: string[] = [];
  for (let c: unknown = e; c instanceof Error; c = c.cause) out.push(c.message);
  return out;
}

function insertStatements(writes: ItemWrites, at: number): InStatement[] {
  const fresh = writes.inserts;
  const keys = fresh.map((p) => p.key);
  const marks = keys.map(() => "?").join(", ");
  return [
    {
      // A unique key that appeared meanwhile (another run, a re-delivered message) is simply not inserted twice.
      sql: `INSERT INTO items (class_id, source_id, unique_key, url, data, created_at, updated_at, last_seen_at) VALUES ${fresh.map(() => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")} ON CONFLICT (unique_key) DO NOTHING`,
      args: fresh.flatMap((p) => [writes.classId, writes.sourceId, p.key, p.url, JSON.stringify(p.data), at, at, at]),
    },
    {
      sql: `INSERT INTO scheduler_runtimes (runtime_type, item_id, runnable, next_action_time, num_zero_actions, num_404) SELECT 'C', id, ?, ?, 0, 0 FROM items WHERE unique_key IN (${marks}) AND NOT EXISTS (SELECT 1 FROM scheduler_runtimes r WHERE r.item_id = items.id)`,
      args: [writes.checkersRunnable ? 1 : 0, writes.firstCheckAt.getTime(), ...keys],
    },
    ...imageRows(fresh),
  ];
}

/** The items' image references, by unique key (the item ids are only known inside the transaction). */
function imageRows(fresh: readonly NewItem[]): InStatement[] {
  const rows = fresh.flatMap((p) => [...new Set(p.imageKeys)].map((key) => [p.key, key] as const));
  if (rows.length === 0) return [];
  return [
    {
      sql: `INSERT OR IGNORE INTO item_images (item_id, key) SELECT items.id, v.column2 FROM (VALUES ${rows.map(() => "(?, ?)").join(", ")}) AS v JOIN items ON items.unique_key = v.column1`,
      args: rows.flat(),
    },
  ];
}

/** The image references known items gained (an image that was missing, stored by this run). */
function updatedImageRows(updates: readonly ItemUpdate[]): InStatement[] {
  const rows = updates.flatMap((u) => [...new Set(u.imageKeys ?? [])].map((key) => [u.id, key] as const));
  if (rows.length === 0) return [];
  return [{ sql: `INSERT OR IGNORE INTO item_images (item_id, key) VALUES ${rows.map(() => "(?, ?)").join(", ")}`, args: rows.flat() }];
}

/** An item with what checking it needs: its values, its scraper's checkers and page types, its 404 count. */
export interface ItemToCheck {
  itemId: number;
  data: ItemData;
  sourceId: number;
  scraperId: number;
  scraperName: string;
  scraperStatus: ScraperStatus;
  checkers: Checker[];
  pageTypes: PageType[];
  /** 404 answers in a row so far. */
  num404: number;
}

/** The item and its checking context in one read; undefined when there is no such item. */
export async function itemToCheck(database: Database, itemId: number): Promise<ItemToCheck | undefined> {
  const [row] = await database.db
    .select({ item: items, scraper: scrapers, num404: scheduler_runtimes.num_404 })
    .from(items)
    .innerJoin(sources, eq(sources.id, items.source_id))
    .innerJoin(scrapers, eq(scrapers.id, sources.scraper_id))
    .innerJoin(classes, eq(classes.id, items.class_id))
    .leftJoin(scheduler_runtimes, eq(scheduler_runtimes.item_id, items.id))
    .where(eq(items.id, itemId));
  if (!row) return undefined;
  return {
    itemId,
    data: row.item.data,
    sourceId: row.item.source_id,
    scraperId: row.scraper.id,
    scraperName: row.scraper.name,
    scraperStatus: row.scraper.status,
    checkers: row.scraper.definition.checkers,
    pageTypes: row.scraper.definition.page_types,
    num404: row.num404 ?? 0,
  };
}

/** Sets an item's count of 404 answers in a row (kept on its checker runtime). */
export async function setNotFoundCount(database: Database, itemId: number, num404: number): Promise<void> {
  await database.db.update(scheduler_runtimes).set({ num_404: num404 }).where(eq(scheduler_runtimes.item_id, itemId));
}

export async function countItems(database: Database): Promise<number> {
  return Number((await database.client.execute("SELECT count(*) AS n FROM items")).rows[0]!.n);
}

/**
 * A few stored items to show, in an order the crawl's timing does not change (by URL, then id): ids follow the
 * order in which items were complete, which depends on which detail page answered first.
 */
export async function sampleItems(database: Database, limit: number): Promise<KnownItem[]> {
  const rows = await database.client.execute({ sql: "SELECT id, data FROM items ORDER BY url, id LIMIT ?", args: [limit] });
  return rows.rows.map((r) => ({ id: Number(r.id), data: JSON.parse(String(r.data)) as ItemData }));
}

/** Which items: of one class, of one source, or both (ids). */
export interface ItemFilter {
  classId?: number;
  sourceId?: number;
}

function matching(filter: ItemFilter) {
  return [filter.classId === undefined ? undefined : eq(items.class_id, filter.classId), filter.sourceId === undefined ? undefined : eq(items.source_id, filter.sourceId)];
}

/**
 * Up to `limit` items with an id above `afterId`, in id order, in the public item shape: one page of a streamed
 * export. Keyset paging reads only the rows it returns, however far into the table the page is.
 */
export async function itemsAfter(database: Database, filter: ItemFilter, afterId: number, limit: number): Promise<Item[]> {
  const rows = await database.db
    .select({ id: items.id, class: classes.name, source: sources.name, url: items.url, data: items.data, created_at: items.created_at, updated_at: items.updated_at })
    .from(items)
    .innerJoin(classes, eq(classes.id, items.class_id))
    .innerJoin(sources, eq(sources.id, items.source_id))
    .where(and(gt(items.id, afterId), ...matching(filter)))
    .orderBy(asc(items.id))
    .limit(limit);
  return withImages(database, rows.map((r) => ({ ...r, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() })));
}

/** The classes that have items among those of `filter` (one probe per class through its index). */
export async function classesWithItems(database: Database, filter: ItemFilter): Promise<ClassRow[]> {
  const found: ClassRow[] = [];
  for (const cls of await database.db.select().from(classes).orderBy(asc(classes.id))) {
    if (filter.classId !== undefined && cls.id !== filter.classId) continue;
    const [hit] = await database.db
      .select({ id: items.id })
      .from(items)
      .where(and(...matching({ ...filter, classId: cls.id })))
      .limit(1);
    if (hit) found.push(cls);
  }
  return found;
}

export interface Deleted {
  items: number;
  /** Store keys removed because no remaining item uses them. */
  files: string[];
}

export async function deleteItems(database: Database, store: BlobStore | undefined, ids: readonly number[]): Promise<Deleted> {
  if (ids.length === 0) return { items: 0, files: [] };
  const { client } = database;
  const marks = ids.map(() => "?").join(", ");
  const keys = (await client.execute({ sql: `SELECT DISTINCT key FROM item_images WHERE item_id IN (${marks})`, args: [...ids] })).rows.map((r) => String(r.key));
  // Runtimes and image references go by cascade; the jobs that checked these items keep their history.
  const result = await client.execute({ sql: `DELETE FROM items WHERE id IN (${marks})`, args: [...ids] });
  const files: string[] = [];
  if (store && keys.length) {
    const stillUsed = await imageKeysInUse(database, keys);
    for (const key of keys) {
      if (stillUsed.has(key)) continue;
      await store.delete(key);
      files.push(key);
    }
  }
  return { items: result.rowsAffected, files };
}

/** Which of these image store keys some item still references; asked in slices that fit a statement. */
export async function imageKeysInUse(database: Database, keys: readonly string[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const slice = keys.slice(i, i + 500);
    const rows = await database.client.execute({ sql: `SELECT DISTINCT key FROM item_images WHERE key IN (${slice.map(() => "?").join(", ")})`, args: slice });
    for (const r of rows.rows) used.add(String(r.key));
  }
  return used;
}

export interface ImageReference {
  item_id: number;
  key: string;
}

/** Every item's image references, a page at a time (by rowid), so a store of any size is read in flat memory. */
export async function* imageReferences(database: Database, pageSize = 500): AsyncGenerator<ImageReference[]> {
  for (let after = 0; ; ) {
    const page = await database.client.execute({ sql: "SELECT rowid, item_id, key FROM item_images WHERE rowid > ? ORDER BY rowid LIMIT ?", args: [after, pageSize] });
    if (page.rows.length === 0) return;
    yield page.rows.map((row) => ({ item_id: Number(row.item_id), key: String(row.key) }));
    after = Number(page.rows[page.rows.length - 1]!.rowid);
  }
}
