/**
 * @module
 * The Worker's BlobStore: image files as objects of an R2 bucket, a key being the object's name. R2 writes are
 * atomic (a reader sees the old object or the new one) and a later put of a key wins, which is all the port asks;
 * "folders" are only prefixes of names, so a key's folder is never itself a key.
 */
import type { R2Bucket } from "@cloudflare/workers-types";
import { assertBlobKey, assertBlobPrefix } from "../src/images/keys.ts";
import type { BlobStore } from "../src/ports.ts";

export class R2BlobStore implements BlobStore {
  /** `around` runs each call to R2 (each is a subrequest): to count and time it, or refuse it by throwing. */
  constructor(
    private readonly bucket: R2Bucket,
    private readonly around: <T>(call: () => Promise<T>) => Promise<T> = (call) => call(),
  ) {}

  async put(key: string, data: Uint8Array, contentType: string): Promise<void> {
    assertBlobKey(key);
    // R2 reads the bytes before put resolves, and only the view's bytes (not its whole buffer).
    await this.around(() => this.bucket.put(key, data, { httpMetadata: { contentType } }));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertBlobKey(key);
    return this.around(async () => {
      const object = await this.bucket.get(key);
      return object === null ? undefined : new Uint8Array(await object.arrayBuffer());
    });
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await this.around(() => this.bucket.delete(key));
  }

  async exists(key: string): Promise<boolean> {
    assertBlobKey(key);
    return (await this.around(() => this.bucket.head(key))) !== null;
  }

  async *list(prefix = ""): AsyncIterable<string> {
    assertBlobPrefix(prefix);
    let cursor: string | undefined;
    do {
      // 1000 names a page, R2's maximum; each page is one subrequest.
      const page = await this.around(() => this.bucket.list({ prefix, limit: 1000, ...(cursor !== undefined ? { cursor } : {}) }));
      for (const object of page.objects) yield object.key;
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor !== undefined);
  }
}
