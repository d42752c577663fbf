/**
 * @module
 * `images verify`: the image store against the items that use it — files no item references (orphans, left by an
 * interrupted run or a deleted database) and references whose file is gone.
 */
import type { Database } from "../db/connect.ts";
import { imageKeysInUse, imageReferences } from "../db/items.ts";
import type { BlobStore } from "../ports.ts";

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

export async function verifyImages(database: Database, store: BlobStore, fix: boolean): Promise<ImagesReport> {
  const files = new Set<string>();
  for await (const key of store.list("")) files.add(key);

  const used = await imageKeysInUse(database, [...files]);
  const orphans = [...files].filter((key) => !used.has(key));

  const missing: { item_id: number; key: string }[] = [];
  let references = 0;
  for await (const page of imageReferences(database)) {
    for (const ref of page) {
      references++;
      if (!files.has(ref.key)) missing.push(ref);
    }
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
