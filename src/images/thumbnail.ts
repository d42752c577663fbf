/**
 * @module
 * Decoding, thumbnailing and JPEG encoding with photon (Rust image code compiled to WebAssembly).
 *
 * photon comes in through the `Photon` port rather than an import, because each runtime needs a different entry
 * of `@cf-wasm/photon` and the wasm module is 1.5 MB that most commands never use: the binary compiles the
 * package's `.wasm` file lazily for its `others` entry (cli/photon.ts), the Worker passes the `workerd` entry,
 * whose `.wasm` import wrangler turns into a compiled module. Tests pass a wrapper that counts calls and frees.
 *
 * The rest of the image code does not call `renderJpegs` itself but a `RenderJpegs` function, so that the binary
 * can run photon on other threads (cli/image-workers.ts: decoding and encoding are most of an image's CPU time,
 * and the crawl's own work holds the main thread) while a Cloudflare Worker, one isolate on one core, renders
 * inline (`renderInline`).
 *
 * Two traps of photon shape this file:
 * - Its images live in wasm memory that JS's garbage collector does not see: every handle is freed here, on
 *   every path, and no handle leaves this module.
 * - It does not return decode errors, it aborts (a WebAssembly `RuntimeError: unreachable`). The instance goes
 *   on working, but each abort leaks the input copy and some of the wasm stack; after a few thousand the
 *   instance is dead. probe.ts refuses truncated and oversized files first so that aborts stay rare.
 */
import { ImageError } from "./errors.ts";

/** An image in photon's wasm memory. Must be freed. */
export interface PhotonImageHandle {
  get_width(): number;
  get_height(): number;
  get_bytes_jpeg(quality: number): Uint8Array;
  free(): void;
}

/** The part of `@cf-wasm/photon` dscraper uses; the package's module object satisfies it as it is. */
export interface Photon {
  PhotonImage: {
    new (rawPixels: Uint8Array, width: number, height: number): PhotonImageHandle;
    new_from_byteslice(bytes: Uint8Array): PhotonImageHandle;
  };
  resize(image: PhotonImageHandle, width: number, height: number, samplingFilter: number): PhotonImageHandle;
  /** Draws `overlay` over `image` at x, y, blending by the overlay's alpha. */
  watermark(image: PhotonImageHandle, overlay: PhotonImageHandle, x: bigint, y: bigint): void;
  SamplingFilter: { readonly Lanczos3: number };
}

export interface Size {
  width: number;
  height: number;
}

/**
 * The size of a thumbnail of a `width`×`height` image in a `boxWidth`×`boxHeight` box: as large as fits,
 * keeping the aspect ratio, and never larger than the image (an upscaled thumbnail costs bytes and shows
 * nothing more; DDS's Scrapy pipeline did the same with PIL's `thumbnail`). 600×400 in 170×170 → 170×113.
 */
export function fitInside(width: number, height: number, boxWidth: number, boxHeight: number): Size {
  if (width <= boxWidth && height <= boxHeight) return { width, height };
  // The limiting side gets the box's size exactly; only the other one is rounded.
  if (boxWidth * height <= boxHeight * width) {
    return { width: boxWidth, height: Math.min(boxHeight, Math.max(1, Math.round((height * boxWidth) / width))) };
  }
  return { width: Math.min(boxWidth, Math.max(1, Math.round((width * boxHeight) / height))), height: boxHeight };
}

export interface RenderOptions {
  /** JPEG quality, 1–100. */
  quality: number;
  /** Lay the image on white first (JPEG has no alpha; photon would otherwise keep the colour under it). */
  flatten: boolean;
  /** One entry per file wanted: a box for a thumbnail, undefined for the original size. */
  boxes: readonly (Size | undefined)[];
}

/** The decoded picture's size and one JPEG per requested box, in the order of `boxes`. */
export interface Rendered {
  size: Size;
  jpegs: Uint8Array[];
}

/**
 * Decodes `bytes` once (a GIF gives its first frame) and encodes a JPEG for each box. Throws ImageError
 * `corrupt` when photon cannot decode them; any other failure of photon is rethrown as it is, since it means the
 * decoder itself is broken, not that this image is bad.
 */
export function renderJpegs(photon: Photon, bytes: Uint8Array, options: RenderOptions): Rendered {
  const handles: PhotonImageHandle[] = [];
  const own = (image: PhotonImageHandle): PhotonImageHandle => {
    handles.push(image);
    return image;
  };
  try {
    let image = own(decode(photon, bytes));
    const size = { width: image.get_width(), height: image.get_height() };
    if (options.flatten) {
      const white = own(new photon.PhotonImage(new Uint8Array(size.width * size.height * 4).fill(255), size.width, size.height));
      photon.watermark(white, image, 0n, 0n);
      image = white;
    }
    // Boxes that come to the same size (e.g. two boxes larger than the image) share one encoding.
    const bySize = new Map<string, Uint8Array>();
    const jpegs = options.boxes.map((box) => {
      const target = box ? fitInside(size.width, size.height, box.width, box.height) : size;
      const id = `${target.width}x${target.height}`;
      let jpeg = bySize.get(id);
      if (!jpeg) {
        const scaled =
          target.width === size.width && target.height === size.height
            ? image
            : own(photon.resize(image, target.width, target.height, photon.SamplingFilter.Lanczos3));
        jpeg = scaled.get_bytes_jpeg(options.quality);
        bySize.set(id, jpeg);
      }
      return jpeg;
    });
    return { size, jpegs };
  } finally {
    for (const handle of handles) handle.free();
  }
}

/**
 * `renderJpegs` wherever the platform runs it, with the same result and the same errors (ImageError `corrupt` for
 * a file the decoder refuses, anything else as it is). It may take `bytes`' buffer over (a worker pool transfers
 * it to its thread instead of copying it): the caller must not use `bytes` afterwards.
 */
export type RenderJpegs = (bytes: Uint8Array, options: RenderOptions) => Promise<Rendered>;

/** `renderJpegs` on this thread, with photon as it is or loaded on first use. */
export function renderInline(photon: Photon | (() => Promise<Photon>)): RenderJpegs {
  if (typeof photon !== "function") return async (bytes, options) => renderJpegs(photon, bytes, options);
  let loading: Promise<Photon> | undefined;
  return async (bytes, options) => renderJpegs(await (loading ??= photon()), bytes, options);
}

function decode(photon: Photon, bytes: Uint8Array): PhotonImageHandle {
  try {
    return photon.PhotonImage.new_from_byteslice(bytes);
  } catch (e) {
    // A Rust panic in the decoder surfaces as a trap on an `unreachable` instruction; the message is the only
    // thing telling it from an instance wrecked by earlier traps, which fails with out-of-bounds accesses.
    if (e instanceof WebAssembly.RuntimeError && /unreachable/i.test(e.message)) {
      throw new ImageError("corrupt", "the decoder could not read this image (damaged data)", { cause: e });
    }
    throw e;
  }
}
