/**
 * @module
 * One downloaded image into the BlobStore, in the layout of the settings (SPEC §5), and its files out again when
 * its item is deleted. Checks go from cheap to dear: byte count, then the header's pixel count and the file's
 * structure, and only then photon, so a hostile file costs almost nothing. Nothing is written unless every file
 * of the image could be made. Decoding and encoding go through a `RenderJpegs` function: photon inline, or the
 * binary's worker threads.
 */
import type { BlobStore } from "../ports.ts";
import { ImageError, storeFailure } from "./errors.ts";
import { imageFileName, imageKeys, imageTargets, isImageFileName } from "./keys.ts";
import { assertComplete, probeImage } from "./probe.ts";
import type { ImageSettings } from "./settings.ts";
import type { RenderJpegs } from "./thumbnail.ts";

export { ImageError, ImageStoreError, type ImageErrorKind } from "./errors.ts";

export const JPEG_CONTENT_TYPE = "image/jpeg";

export interface StoredImage {
  /** What the item's image attr holds: `<sha1>.jpg`. */
  fileName: string;
  /** Every key of the image in the store for these settings. */
  keys: string[];
  /** The keys this call wrote: all of `keys`, or none when the image was already stored. */
  written: string[];
}

/**
 * The image's files when all of them are already in the store (the same picture used by many items), else
 * undefined. Lets the crawler skip the download.
 */
export async function findStoredImage(url: string, settings: ImageSettings, store: BlobStore): Promise<StoredImage | undefined> {
  return storedAlready(await imageFileName(url), settings, store);
}

/** `findStoredImage` for an image whose file name is known. */
export async function storedAlready(fileName: string, settings: ImageSettings, store: BlobStore): Promise<StoredImage | undefined> {
  const keys = imageKeys(fileName, settings);
  let present: boolean[];
  try {
    present = await Promise.all(keys.map((key) => store.exists(key)));
  } catch (e) {
    throw storeFailure(e);
  }
  return present.every(Boolean) ? { fileName, keys, written: [] } : undefined;
}

/**
 * Converts the image downloaded from `url` to JPEG (plus thumbnails) and writes its files. Does nothing when
 * they are all there already. Throws ImageError (`too_large`, `too_many_pixels`, `unsupported_format`,
 * `corrupt`) having written nothing; a failing store throws ImageStoreError after removing what this call had
 * written.
 * `render` may take `bytes` over (see `RenderJpegs`).
 */
export async function storeImage(bytes: Uint8Array, url: string, settings: ImageSettings, store: BlobStore, render: RenderJpegs): Promise<StoredImage> {
  const fileName = await imageFileName(url);
  return (await storedAlready(fileName, settings, store)) ?? writeImage(bytes, fileName, settings, store, render);
}

/**
 * `storeImage` for a caller that has just seen, with `storedAlready`, that the image named `fileName` is not
 * stored (the crawl's downloads): the same checks, conversion and writes, without looking at the store again.
 */
export async function writeImage(bytes: Uint8Array, fileName: string, settings: ImageSettings, store: BlobStore, render: RenderJpegs): Promise<StoredImage> {
  const targets = imageTargets(fileName, settings);

  if (bytes.length > settings.maxBytes) {
    throw new ImageError("too_large", `image of ${bytes.length} bytes is over the limit of ${settings.maxBytes} bytes`);
  }
  const header = probeImage(bytes);
  const pixels = header.width * header.height;
  if (pixels > settings.maxPixels) {
    throw new ImageError(
      "too_many_pixels",
      `${header.type.toUpperCase()} of ${header.width}×${header.height} = ${pixels} pixels is over the limit of ${settings.maxPixels}`,
    );
  }
  assertComplete(bytes, header.type);

  const { jpegs } = await render(bytes, {
    quality: settings.jpegQuality,
    flatten: header.hasAlpha,
    boxes: targets.map((t) => t.thumb),
  });

  const written: string[] = [];
  try {
    for (const [i, target] of targets.entries()) {
      await store.put(target.key, jpegs[i] as Uint8Array, JPEG_CONTENT_TYPE);
      written.push(target.key);
    }
  } catch (e) {
    // Half an image would pass for stored in no format, but would be an orphan until `images verify --fix`.
    await Promise.allSettled(written.map((key) => store.delete(key)));
    throw storeFailure(e);
  }
  return { fileName, keys: targets.map((t) => t.key), written };
}

/**
 * Removes every file of the image named `fileName` for the settings, returning their keys. A value that is not
 * one of our file names (an image attr holds the URL when nothing was stored) has no files: nothing is done.
 */
export async function deleteImageFiles(fileName: string, settings: ImageSettings, store: BlobStore): Promise<string[]> {
  if (!isImageFileName(fileName)) return [];
  const keys = imageKeys(fileName, settings);
  await Promise.all(keys.map((key) => store.delete(key)));
  return keys;
}
