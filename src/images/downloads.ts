/**
 * @module
 * The images of one run's new items (SPEC.md §5): each image URL is fetched once through the run's polite fetcher
 * (with the image byte cap), stored, and shared by every item that uses it. A file already in the store is not
 * downloaded again.
 */
import type { Fetcher } from "../crawl/fetcher.ts";
import type { BlobStore } from "../ports.ts";
import { ImageError } from "./errors.ts";
import type { ImageSettings } from "./settings.ts";
import { findStoredImage, storeImage, type StoredImage } from "./store-image.ts";
import type { Photon } from "./thumbnail.ts";

export interface ImageDeps {
  fetcher: Fetcher;
  store: BlobStore;
  settings: ImageSettings;
  /** Loaded on first use: decoding needs a wasm module that runs without images need not load. */
  photon: () => Promise<Photon>;
}

/** An image URL that answered with an error status. */
export class ImageFetchError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`HTTP ${status}`);
    this.name = "ImageFetchError";
  }
}

export class ImageDownloads {
  private readonly runs = new Map<string, Promise<StoredImage>>();

  constructor(
    private readonly deps: ImageDeps,
    private readonly signal: AbortSignal,
  ) {}

  /** The stored image of `url`; rejects with FetchError, ImageFetchError or ImageError. */
  get(url: string): Promise<StoredImage> {
    let run = this.runs.get(url);
    if (!run) this.runs.set(url, (run = this.download(url)));
    return run;
  }

  private async download(url: string): Promise<StoredImage> {
    const { fetcher, store, settings } = this.deps;
    const stored = await findStoredImage(url, settings, store);
    if (stored) return stored;
    const response = await fetcher.fetch({ method: "GET", url, headers: { Accept: "image/*" }, maxBytes: settings.maxBytes }, this.signal);
    if (response.status >= 400) throw new ImageFetchError(url, response.status);
    return storeImage(response.body, url, settings, store, await this.deps.photon());
  }
}

/** A reason to show for a failed image, whatever failed. */
export function imageFailure(e: unknown): string {
  if (e instanceof ImageError) return `${e.kind}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
