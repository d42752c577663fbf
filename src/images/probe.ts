/**
 * @module
 * What an image file is and how big it claims to be, read from its header bytes with no decoding, so that a
 * tiny file declaring 100000×100000 pixels is refused before the decoder allocates 40 GB for it. Also a cheap
 * structural walk (`assertComplete`) that turns a truncated download into a typed error before it reaches the
 * decoder: photon aborts on a bad file (a WebAssembly trap), and each trap leaks the bytes it was given and part
 * of the wasm stack, so a few thousand of them kill the decoder for the life of the process (see thumbnail.ts).
 *
 * PNG, JPEG, GIF and WebP only; anything else is `unsupported_format`.
 */
import { ImageError } from "./errors.ts";

export type ImageType = "png" | "jpeg" | "gif" | "webp";

export interface ImageHeader {
  type: ImageType;
  /**
   * The size of the picture the decoder will allocate. For a GIF that is the logical screen grown to hold the
   * first frame, since a frame may claim to be larger than the screen it is drawn on.
   */
  width: number;
  height: number;
  /**
   * Whether some pixels may be transparent, from the header alone (PNG colour type or tRNS chunk, GIF
   * transparency or a first frame smaller than the screen, WebP alpha flag). JPEG has no alpha, so such images
   * are laid on white before encoding; white being what a browser shows behind them on most pages.
   */
  hasAlpha: boolean;
}

/** Reads the header. Throws ImageError `unsupported_format` or `corrupt`. */
export function probeImage(bytes: Uint8Array): ImageHeader {
  const type = sniffType(bytes);
  const r = new Reader(bytes, type);
  switch (type) {
    case "png":
      return probePng(r);
    case "jpeg":
      return probeJpeg(r);
    case "gif":
      return probeGif(r);
    case "webp":
      return probeWebp(r);
  }
}

/**
 * Throws ImageError `corrupt` unless the file is whole as far as its structure tells without decompressing:
 * PNG chunks up to IEND, JPEG's end-of-image marker after its first scan, the GIF's first frame, the WebP RIFF
 * chunks. Damage inside compressed data is left to the decoder.
 */
export function assertComplete(bytes: Uint8Array, type: ImageType): void {
  const r = new Reader(bytes, type);
  switch (type) {
    case "png":
      return completePng(r);
    case "jpeg":
      return completeJpeg(r);
    case "gif":
      return completeGif(r);
    case "webp":
      return completeWebp(r);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function sniffType(b: Uint8Array): ImageType {
  const starts = (sig: readonly number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
  const ascii = (text: string, at = 0) => starts([...text].map((c) => c.charCodeAt(0)), at);
  if (starts(PNG_SIGNATURE)) return "png";
  if (starts([0xff, 0xd8, 0xff])) return "jpeg";
  if (ascii("GIF87a") || ascii("GIF89a")) return "gif";
  if (ascii("RIFF") && ascii("WEBP", 8)) return "webp";
  const named = ascii("BM")
    ? "BMP"
    : starts([0x49, 0x49, 0x2a, 0x00]) || starts([0x4d, 0x4d, 0x00, 0x2a])
      ? "TIFF"
      : ascii("ftypavif", 4) || ascii("ftypavis", 4)
        ? "AVIF"
        : ascii("ftyphei", 4) || ascii("ftypmif1", 4)
          ? "HEIF"
          : starts([0x00, 0x00, 0x01, 0x00])
            ? "ICO"
            : looksLikeMarkup(b)
              ? "text/markup, perhaps an HTML page or SVG"
              : b.length === 0
                ? "an empty file"
                : "unknown";
  throw new ImageError("unsupported_format", `not an image dscraper can store (${named}); it stores PNG, JPEG, GIF and WebP`);
}

function looksLikeMarkup(b: Uint8Array): boolean {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return b[i] === 0x3c; // "<"
}

/** The file ends too early: `corrupt`, told apart where a probe can make do with what it has. */
class Truncated extends ImageError {
  constructor(message: string) {
    super("corrupt", message);
  }
}

/** Bounds-checked big/little-endian reads; running past the end is `corrupt`, naming the format. */
class Reader {
  constructor(
    readonly b: Uint8Array,
    readonly type: ImageType,
  ) {}
  get length(): number {
    return this.b.length;
  }
  need(at: number, count: number, what: string): void {
    if (at < 0 || at + count > this.b.length) throw new Truncated(`corrupt ${this.type.toUpperCase()}: it ends before its ${what} (truncated)`);
  }
  u8(at: number): number {
    this.need(at, 1, "header");
    return this.b[at] as number;
  }
  u16be(at: number): number {
    return (this.u8(at) << 8) | this.u8(at + 1);
  }
  u16le(at: number): number {
    return this.u8(at) | (this.u8(at + 1) << 8);
  }
  u24le(at: number): number {
    return this.u8(at) | (this.u8(at + 1) << 8) | (this.u8(at + 2) << 16);
  }
  u32be(at: number): number {
    return this.u16be(at) * 0x10000 + this.u16be(at + 2);
  }
  u32le(at: number): number {
    return this.u16le(at) + this.u16le(at + 2) * 0x10000;
  }
  fourcc(at: number): string {
    this.need(at, 4, "header");
    return String.fromCharCode(this.u8(at), this.u8(at + 1), this.u8(at + 2), this.u8(at + 3));
  }
  corrupt(why: string): ImageError {
    return new ImageError("corrupt", `corrupt ${this.type.toUpperCase()}: ${why}`);
  }
  unsupported(why: string): ImageError {
    return new ImageError("unsupported_format", `unsupported ${this.type.toUpperCase()}: ${why}`);
  }
  size(width: number, height: number, hasAlpha: boolean): ImageHeader {
    if (width === 0 || height === 0) throw this.corrupt(`it declares a ${width}×${height} image`);
    return { type: this.type, width, height, hasAlpha };
  }
}

// PNG: signature, then chunks (length u32be, type, data, crc); IHDR comes first.
function probePng(r: Reader): ImageHeader {
  if (r.u32be(8) !== 13 || r.fourcc(12) !== "IHDR") throw r.corrupt("its first chunk is not IHDR");
  const width = r.u32be(16);
  const height = r.u32be(20);
  const colorType = r.u8(25);
  // Colour types 4 and 6 carry alpha; 0, 2 and 3 can have a tRNS chunk, which comes before the first IDAT.
  let hasAlpha = colorType === 4 || colorType === 6;
  for (let at = 33; !hasAlpha && at + 8 <= r.length; ) {
    const type = r.fourcc(at + 4);
    if (type === "IDAT" || type === "IEND") break;
    if (type === "tRNS") hasAlpha = true;
    at += 12 + r.u32be(at);
  }
  return r.size(width, height, hasAlpha);
}

function completePng(r: Reader): void {
  let sawData = false;
  for (let at = 8; ; ) {
    r.need(at, 8, "next chunk (no IEND)");
    const length = r.u32be(at);
    const type = r.fourcc(at + 4);
    r.need(at + 8, length + 4, `${type} chunk's end`);
    if (type === "IDAT") sawData = true;
    if (type === "IEND") {
      if (!sawData) throw r.corrupt("it has no IDAT chunk");
      return;
    }
    at += 12 + length;
  }
}

// JPEG: segments FF xx [length u16be, payload]; the frame header (SOFn) holds the size.
const SOF_SUPPORTED = new Set([0xc0, 0xc1, 0xc2]); // baseline, extended sequential, progressive (Huffman)
const SOF_OTHER = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]); // lossless, hierarchical, arithmetic

/** Walks the segments from SOI; calls `visit` with each marker and the offset of its length field. */
function walkJpegSegments(r: Reader, visit: (marker: number, at: number) => boolean): void {
  for (let at = 2; ; ) {
    if (r.u8(at) !== 0xff) throw r.corrupt(`no marker at byte ${at}`);
    while (r.u8(at) === 0xff) at++; // fill bytes
    const marker = r.u8(at++);
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (marker === 0xd8 || marker === 0xd9) throw r.corrupt(`unexpected ${marker === 0xd8 ? "SOI" : "EOI"} before the image data`);
    const length = r.u16be(at);
    if (length < 2) throw r.corrupt(`segment length ${length} at byte ${at}`);
    if (!visit(marker, at)) return;
    at += length;
  }
}

function probeJpeg(r: Reader): ImageHeader {
  let header: ImageHeader | undefined;
  walkJpegSegments(r, (marker, at) => {
    if (marker === 0xda) throw r.corrupt("its image data starts before a frame header (SOF)");
    if (SOF_OTHER.has(marker)) throw r.unsupported(`frame type SOF${marker - 0xc0} (lossless, hierarchical or arithmetic-coded) cannot be decoded`);
    if (!SOF_SUPPORTED.has(marker)) return true;
    const precision = r.u8(at + 2);
    if (precision !== 8) throw r.unsupported(`${precision}-bit samples cannot be decoded`);
    const height = r.u16be(at + 3);
    const width = r.u16be(at + 5);
    // Height 0 means "given later by a DNL marker", which decoders rarely support and which we cannot cap.
    if (height === 0) throw r.unsupported("its height is given after the image data (DNL)");
    header = r.size(width, height, false);
    return false;
  });
  if (!header) throw r.corrupt("it has no frame header (SOF)");
  return header;
}

function completeJpeg(r: Reader): void {
  let scanAt = -1;
  walkJpegSegments(r, (marker, at) => {
    if (marker !== 0xda) return true;
    scanAt = at;
    return false;
  });
  // Entropy-coded data escapes 0xFF as FF 00, so FF D9 after the first scan can only be the end-of-image marker.
  // Searching from the end finds it at once in a whole file; bytes after it (some cameras append data) are fine.
  for (let i = r.length - 2; i > scanAt; i--) if (r.b[i] === 0xff && r.b[i + 1] === 0xd9) return;
  throw r.corrupt("it ends before its end-of-image marker (truncated)");
}

// GIF: header, logical screen descriptor, global colour table, then blocks: extensions (0x21) and images (0x2C).
interface GifFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Offset just after the image descriptor (and its local colour table). */
  dataAt: number;
}

function gifFirstFrame(r: Reader, onTransparency: () => void): GifFrame | undefined {
  const packed = r.u8(10);
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  while (at < r.length) {
    const block = r.u8(at);
    if (block === 0x2c) {
      const frame = { left: r.u16le(at + 1), top: r.u16le(at + 3), width: r.u16le(at + 5), height: r.u16le(at + 7), dataAt: 0 };
      const local = r.u8(at + 9);
      frame.dataAt = at + 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0);
      return frame;
    }
    if (block === 0x21) {
      // A graphic control extension (0xF9) before the frame applies to it; bit 0 of its flags is transparency.
      if (r.u8(at + 1) === 0xf9 && r.u8(at + 2) >= 4 && r.u8(at + 3) & 1) onTransparency();
      at = skipSubBlocks(r, at + 2);
      continue;
    }
    if (block === 0x3b) throw r.corrupt("it has no image (trailer before any frame)");
    throw r.corrupt(`unknown block 0x${block.toString(16)} at byte ${at}`);
  }
  return undefined;
}

function skipSubBlocks(r: Reader, at: number): number {
  for (;;) {
    const size = r.u8(at);
    if (size === 0) return at + 1;
    at += 1 + size;
    r.need(at, 1, "data sub-blocks' end");
  }
}

function probeGif(r: Reader): ImageHeader {
  const screenW = r.u16le(6);
  const screenH = r.u16le(8);
  let transparent = false;
  // Lenient about a file that ends before its first frame: the screen is then all we can cap, and
  // assertComplete refuses the file afterwards.
  let frame: GifFrame | undefined;
  try {
    frame = gifFirstFrame(r, () => (transparent = true));
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
  }
  if (!frame) return r.size(screenW, screenH, transparent);
  const width = Math.max(screenW, frame.left + frame.width);
  const height = Math.max(screenH, frame.top + frame.height);
  const covers = frame.left === 0 && frame.top === 0 && frame.width >= screenW && frame.height >= screenH;
  return r.size(width, height, transparent || !covers);
}

function completeGif(r: Reader): void {
  const frame = gifFirstFrame(r, () => undefined);
  if (!frame) throw r.corrupt("it ends before its first frame");
  r.u8(frame.dataAt); // LZW minimum code size
  skipSubBlocks(r, frame.dataAt + 1);
}

// WebP: RIFF container; the first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended, with a canvas size).
function probeWebp(r: Reader): ImageHeader {
  const chunk = r.fourcc(12);
  const data = 20;
  if (chunk === "VP8 ") {
    // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height (the top 2 bits are scaling).
    if ((r.u8(data) & 1) !== 0) throw r.corrupt("its first VP8 frame is not a key frame");
    if (r.u8(data + 3) !== 0x9d || r.u8(data + 4) !== 0x01 || r.u8(data + 5) !== 0x2a) throw r.corrupt("bad VP8 start code");
    return r.size(r.u16le(data + 6) & 0x3fff, r.u16le(data + 8) & 0x3fff, false);
  }
  if (chunk === "VP8L") {
    if (r.u8(data) !== 0x2f) throw r.corrupt("bad VP8L signature");
    const bits = r.u32le(data + 1);
    return r.size((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1, ((bits >>> 28) & 1) === 1);
  }
  if (chunk === "VP8X") {
    const flags = r.u8(data);
    return r.size(r.u24le(data + 4) + 1, r.u24le(data + 7) + 1, (flags & 0x10) !== 0);
  }
  throw r.corrupt(`unknown first chunk ${JSON.stringify(chunk)}`);
}

function completeWebp(r: Reader): void {
  const end = 8 + r.u32le(4);
  r.need(0, end, "end given in its RIFF header");
  let sawImage = false;
  for (let at = 12; at < end; ) {
    r.need(at, 8, "next chunk");
    const type = r.fourcc(at);
    const size = r.u32le(at + 4);
    if (at + 8 + size > end) throw r.corrupt(`its ${type.trim()} chunk runs past the end of the file`);
    if (type === "VP8 " || type === "VP8L" || type === "ANMF") sawImage = true;
    at += 8 + size + (size & 1); // chunks are padded to an even size
  }
  if (!sawImage) throw r.corrupt("it has no image data chunk");
}
