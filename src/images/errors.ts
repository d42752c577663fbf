/**
 * @module
 * Why an image was refused. The crawler reads `kind` to count and log it; the item is kept either way (its image
 * attr then holds the URL instead of a file name).
 */
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
