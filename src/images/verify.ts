/**
 * @module
 * `images verify`: the image store against the items that use it — files no item references (orphans, left by an
 * interrupted run or a deleted database) and references whose file is gone.
 */
import type { BlobStore, Database } from "../ports.ts";

export interface ImagesReport {
  /** Files in the store: how many were looked at. */
  files: number;
  /** References from items to files. */
  references: number;
  /** Keys in the store that no item uses. */
  orphans: string[];
  /** Items' references to keys the store does not have. */
  missing: { item_id: number; key: string }[];
  /** Orphans deleted (with `fix`). */
  removed: string[];
}

const PAGE = 500;

export async function verifyImages(database: Database, store: BlobStore, fix: boolean): Promise<ImagesReport> {
  const { client } = database;
  const files = new Set<string>();
  for await (const key of store.list("")) files.add(key);

  const orphans: string[] = [];
  const all = [...files];
  for (let i = 0; i < all.length; i += PAGE) {
    const slice = all.slice(i, i + PAGE);
    const used = await client.execute({ sql: `SELECT DISTINCT key FROM item_images WHERE key IN (${slice.map(() => "?").join(", ")})`, args: slice });
    const usedKeys = new Set(used.rows.map((r) => String(r.key)));
    for (const key of slice) if (!usedKeys.has(key)) orphans.push(key);
  }

  const missing: { item_id: number; key: string }[] = [];
  let references = 0;
  // Paged by rowid so a store of any size is checked without reading every reference at once.
  for (let after = 0; ; ) {
    const page = await client.execute({ sql: "SELECT rowid, item_id, key FROM item_images WHERE rowid > ? ORDER BY rowid LIMIT ?", args: [after, PAGE] });
    if (page.rows.length === 0) break;
    for (const row of page.rows) {
      references++;
      if (!files.has(String(row.key))) missing.push({ item_id: Number(row.item_id), key: String(row.key) });
    }
    after = Number(page.rows[page.rows.length - 1]!.rowid);
  }

  const removed: string[] = [];
  if (fix) {
    for (const key of orphans) {
      await store.delete(key);
      removed.push(key);
    }
  }
  return { files: files.size, references, orphans, missing, removed };
}
