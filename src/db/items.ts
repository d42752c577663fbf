/**
 * @module
 * Stored items: reading them page by page for exports (INTERFACE.md's item shape), and deleting them, whoever
 * deletes them (a checker, the API, a clean-up): the rows go with their runtimes and image references, and each
 * image file goes with the last item that used it (SPEC.md §5).
 */
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Item } from "../model/item.ts";
import type { BlobStore, Database } from "../ports.ts";
import type { Db } from "./connect.ts";
import { classes, item_images, items, sources } from "./schema.ts";
import type { ClassRow } from "./sources.ts";

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
export async function itemsAfter(db: Db, filter: ItemFilter, afterId: number, limit: number): Promise<Item[]> {
  const rows = await db
    .select({ id: items.id, class: classes.name, source: sources.name, url: items.url, data: items.data, created_at: items.created_at, updated_at: items.updated_at })
    .from(items)
    .innerJoin(classes, eq(classes.id, items.class_id))
    .innerJoin(sources, eq(sources.id, items.source_id))
    .where(and(gt(items.id, afterId), ...matching(filter)))
    .orderBy(asc(items.id))
    .limit(limit);
  if (rows.length === 0) return [];
  const images = new Map<number, string[]>();
  const keys = await db
    .select({ itemId: item_images.item_id, key: item_images.key })
    .from(item_images)
    .where(inArray(item_images.item_id, rows.map((r) => r.id)))
    // In the order they were stored: the order of the item's image attrs.
    .orderBy(asc(item_images.item_id), sql`rowid`);
  for (const { itemId, key } of keys) images.set(itemId, [...(images.get(itemId) ?? []), key]);
  return rows.map((r) => ({ ...r, images: images.get(r.id) ?? [], created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() }));
}

/** The classes that have items among those of `filter` (one probe per class through its index). */
export async function classesWithItems(db: Db, filter: ItemFilter): Promise<ClassRow[]> {
  const found: ClassRow[] = [];
  for (const cls of await db.select().from(classes).orderBy(asc(classes.id))) {
    if (filter.classId !== undefined && cls.id !== filter.classId) continue;
    const [hit] = await db
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
    const stillUsed = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const slice = keys.slice(i, i + 500);
      const rows = await client.execute({ sql: `SELECT DISTINCT key FROM item_images WHERE key IN (${slice.map(() => "?").join(", ")})`, args: slice });
      for (const r of rows.rows) stillUsed.add(String(r.key));
    }
    for (const key of keys) {
      if (stillUsed.has(key)) continue;
      await store.delete(key);
      files.push(key);
    }
  }
  return { items: result.rowsAffected, files };
}
