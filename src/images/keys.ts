/**
 * @module
 * Names of image files and their keys in the BlobStore (SPEC §5). An image is named by the SHA-1 hex of its
 * absolute URL + `.jpg`, as DDS (Scrapy's ImagesPipeline) named it, so the same picture used by many items is
 * one file. Where that name goes depends on the store format:
 *
 * | format | no thumbnail size | thumbnail sizes `small`, `large` |
 * | --- | --- | --- |
 * | FLAT | `<sha1>.jpg` (the original) | `<sha1>.jpg` (the one thumbnail replaces the original) |
 * | ALL | `full/<sha1>.jpg` | `full/<sha1>.jpg`, `thumbs/small/<sha1>.jpg`, `thumbs/large/<sha1>.jpg` |
 * | THUMBS | — (refused by the settings) | `thumbs/small/<sha1>.jpg`, `thumbs/large/<sha1>.jpg` |
 */
import { DscraperError } from "../errors.ts";
import type { ImageSettings } from "./settings.ts";

/** A thumbnail box from the settings: the thumbnail fits inside `width`×`height`. */
export interface ThumbBox {
  name: string;
  width: number;
  height: number;
}

/** One file to write for an image: the original (`thumb` undefined) or a thumbnail, at its store key. */
export interface ImageTarget {
  key: string;
  thumb: ThumbBox | undefined;
}

const FILE_NAME = /^[0-9a-f]{40}\.jpg$/;

/** `<sha1 hex of the URL>.jpg`. The URL is taken in its WHATWG form, so two spellings of one address share a file. */
export async function imageFileName(url: string): Promise<string> {
  let href: string;
  try {
    href = new URL(url).href;
  } catch {
    throw new TypeError(`an image file is named after its absolute URL, got ${JSON.stringify(url)}`);
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(href)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return `${hex}.jpg`;
}

/** Whether `value` is a name `imageFileName` makes (an image attr may instead hold the URL when nothing was stored). */
export function isImageFileName(value: string): boolean {
  return FILE_NAME.test(value);
}

/** Every file of one image for the settings, in a stable order: the original first, then thumbnails by name. */
export function imageTargets(fileName: string, settings: Pick<ImageSettings, "format" | "thumbs">): ImageTarget[] {
  if (!isImageFileName(fileName)) throw new TypeError(`not an image file name: ${JSON.stringify(fileName)} (expected <40 hex digits>.jpg)`);
  const thumbs: ThumbBox[] = Object.entries(settings.thumbs)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, [width, height]]) => ({ name, width, height }));
  switch (settings.format) {
    case "FLAT":
      return [{ key: fileName, thumb: thumbs[0] }];
    case "ALL":
      return [{ key: `full/${fileName}`, thumb: undefined }, ...thumbs.map((thumb) => ({ key: `thumbs/${thumb.name}/${fileName}`, thumb }))];
    case "THUMBS":
      return thumbs.map((thumb) => ({ key: `thumbs/${thumb.name}/${fileName}`, thumb }));
  }
}

/** The store keys of one image for the settings. */
export function imageKeys(fileName: string, settings: Pick<ImageSettings, "format" | "thumbs">): string[] {
  return imageTargets(fileName, settings).map((t) => t.key);
}

/**
 * The file name a store key belongs to, whatever the format (`full/x.jpg`, `thumbs/small/x.jpg` and `x.jpg` all
 * give `x.jpg`), or undefined for a key that is not an image file of ours. For `images verify`.
 */
export function fileNameOfKey(key: string): string | undefined {
  const m = /^(?:full\/|thumbs\/[A-Za-z0-9_-]+\/)?([0-9a-f]{40}\.jpg)$/.exec(key);
  return m?.[1];
}

/** A key no BlobStore accepts (see `checkBlobKey`). */
export class BlobKeyError extends DscraperError {
  readonly code = "invalid_key";
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`bad blob key ${JSON.stringify(key)}: ${reason}`);
    this.name = "BlobKeyError";
  }
}

/**
 * The key rules every BlobStore enforces, so that a key means the same file in a folder and in R2: relative,
 * `/`-separated, no empty, `.` or `..` segment (a folder store must never write outside its root), no backslash
 * (a path separator on Windows), no segment starting with `.` (the folder store keeps its temp files there), no
 * control characters, at most 1024 bytes (R2's limit).
 */
export function assertBlobKey(key: string): void {
  const problem = blobKeyProblem(key);
  if (problem) throw new BlobKeyError(key, problem);
}

/** A `list` prefix: the beginning of a key, so it may end inside a segment or with `/`; empty lists everything. */
export function assertBlobPrefix(prefix: string): void {
  if (prefix === "") return;
  // Checked as a key whose unfinished last segment is completed by a stand-in.
  const problem = blobKeyProblem(prefix.endsWith("/") ? `${prefix}x` : prefix);
  if (problem) throw new BlobKeyError(prefix, `${problem} (as a list prefix)`);
}

function blobKeyProblem(key: string): string | undefined {
  if (key === "") return "it is empty";
  if (new TextEncoder().encode(key).length > 1024) return "it is longer than 1024 bytes";
  if (key.startsWith("/")) return "it must be relative (no leading /)";
  if (key.includes("\\")) return "it must use / between folders, not \\";
  if (/[\u0000-\u001f\u007f]/.test(key)) return "it contains a control character";
  for (const segment of key.split("/")) {
    if (segment === "") return "it has an empty folder name (// or a trailing /)";
    if (segment === "." || segment === "..") return `"${segment}" is not allowed as a folder name (keys never leave the store's root)`;
    if (segment.startsWith(".")) return `"${segment}" starts with a dot (reserved for the folder store's temp files)`;
  }
  return undefined;
}
