/**
 * @module
 * Why an image was not stored: the image was refused (ImageError, by `kind`), or the store failed
 * (ImageStoreError). The pipeline logs the first and counts the second as an error of the run; an optional image
 * that failed either way is stored as missing and fetched again by a later run.
 */
import type { BlobStore } from "../ports.ts";
import { DscraperError } from "../errors.ts";

export type ImageErrorKind =
  /** More bytes than `maxBytes`. */
  | "too_large"
  /** The header declares more pixels than `maxPixels`: refused before anything is decoded. */
  | "too_many_pixels"
  /** Not PNG, JPEG, GIF or WebP, or a variant of them the decoder cannot read (e.g. arithmetic-coded JPEG). */
  | "unsupported_format"
  /** A known format whose bytes are inconsistent: truncated, zero-sized, or rejected by the decoder. */
  | "corrupt";

export class ImageError extends DscraperError {
  readonly code = "invalid_image";
  constructor(
    readonly kind: ImageErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ImageError";
  }
}

/**
 * The image store could not be written or read: the store's fault, not the image's. A crawl counts it as an error
 * (`image_store`), and a store that fails its check before a run stops the run from starting.
 */
export class ImageStoreError extends DscraperError {
  readonly code = "image_store";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImageStoreError";
  }
}

/** The store's failure as an ImageStoreError (kept as it is when it is one already). */
export function storeFailure(e: unknown): ImageStoreError {
  if (e instanceof ImageStoreError) return e;
  return new ImageStoreError(`the image store failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/**
 * `store`, each of its failures an ImageStoreError naming the store's reason: for callers that delete image files
 * beside rows (the API's deletes and cleanup), whose users must learn that the store failed, not "internal error".
 */
export function reportingStore(store: BlobStore): BlobStore {
  const report =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (e) {
        throw storeFailure(e);
      }
    };
  return {
    put: report((key: string, data: Uint8Array, contentType: string) => store.put(key, data, contentType)),
    get: report((key: string) => store.get(key)),
    delete: report((key: string) => store.delete(key)),
    exists: report((key: string) => store.exists(key)),
    list: (prefix?: string) => store.list(prefix),
  };
}
