/**
 * @module
 * The images of one run's new items (SPEC.md §5): each image URL is fetched once through the run's polite fetcher
 * (with the image byte cap), stored, and shared by every item that uses it. A file already in the store is not
 * downloaded again.
 */
import type { Fetcher } from "../fetch/fetcher.ts";
import type { BlobStore } from "../ports.ts";
import { ImageError } from "./errors.ts";
import { imageFileName } from "./keys.ts";
import type { ImageSettings } from "./settings.ts";
import { storedAlready, writeImage, type StoredImage } from "./store-image.ts";
import { renderInline, type Photon, type RenderJpegs } from "./thumbnail.ts";

export interface ImageDeps {
  fetcher: Fetcher;
  store: BlobStore;
  settings: ImageSettings;
  /**
   * Where images are decoded and encoded, e.g. the binary's worker threads (cli/image-workers.ts). Without it,
   * `photon` renders them on this thread.
   */
  render?: RenderJpegs;
  /** Loaded on first use: decoding needs a wasm module that runs without images need not load. */
  photon?: () => Promise<Photon>;
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

/**
 * Images downloaded and not yet stored, at most: a body waits for its turn at the renderer (on other threads it
 * no longer holds the main thread back, so downloads can outrun it), and each may weigh `maxBytes`. Enough to
 * keep the fetcher and two render threads busy with small images.
 */
const MAX_IN_PROGRESS = 32;

export class ImageDownloads {
  private readonly runs = new Map<string, Promise<StoredImage>>();
  private readonly render: RenderJpegs;
  private inProgress = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly deps: ImageDeps,
    private readonly signal: AbortSignal,
  ) {
    if (deps.render) this.render = deps.render;
    else if (deps.photon) this.render = renderInline(deps.photon);
    else throw new TypeError("ImageDownloads needs `render` or `photon`");
  }

  /** The stored image of `url`; rejects with FetchError, ImageFetchError or ImageError. */
  get(url: string): Promise<StoredImage> {
    let run = this.runs.get(url);
    if (!run) this.runs.set(url, (run = this.download(url)));
    return run;
  }

  private async download(url: string): Promise<StoredImage> {
    const { fetcher, store, settings } = this.deps;
    const fileName = await imageFileName(url);
    const stored = await storedAlready(fileName, settings, store);
    if (stored) return stored;
    // A slot is handed from one download to the next waiting one, so none can slip in between.
    if (this.inProgress < MAX_IN_PROGRESS) this.inProgress++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      const response = await fetcher.fetch({ method: "GET", url, headers: { Accept: "image/*" }, maxBytes: settings.maxBytes }, this.signal);
      if (response.status >= 400) throw new ImageFetchError(url, response.status);
      // Just seen missing: no second look at the store.
      return await writeImage(response.body, fileName, settings, store, this.render);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.inProgress--;
    }
  }
}

/** A reason to show for a failed image, whatever failed. */
export function imageFailure(e: unknown): string {
  if (e instanceof ImageError) return `${e.kind}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
