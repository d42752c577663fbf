/**
 * @module
 * Deleting items, whoever deletes them (a checker, the API, a clean-up): the rows go with their runtimes and
 * image references, and each image file goes with the last item that used it (SPEC.md §5).
 */
import type { BlobStore, Database } from "../ports.ts";

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
