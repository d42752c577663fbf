/**
 * @module
 * Whether the image store can be written, asked before a crawl that would store images (SPEC.md §4): a store that
 * cannot (a file in place of the folder, no permission, a read-only disk, a bucket refusing us) stops the run
 * before it starts, instead of a run that "succeeds" without its images. Any BlobStore is asked the same way: one
 * small write and its deletion, under a key that is no image file (so a probe left by a crash is an orphan that
 * `images verify --fix` removes).
 */
import type { BlobStore } from "../ports.ts";
import { ImageStoreError } from "./errors.ts";

export async function checkImageStore(store: BlobStore): Promise<void> {
  const key = `dscraper-write-check-${crypto.randomUUID()}`;
  try {
    await store.put(key, new Uint8Array([0]), "application/octet-stream");
    await store.delete(key);
  } catch (e) {
    throw new ImageStoreError(`images cannot be stored: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
