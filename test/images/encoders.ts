/**
 * Real image files made in the tests: a small PNG encoder (zlib from CompressionStream), a GIF encoder (LZW
 * with a clear code before every pixel, so codes keep one width), JPEG and lossless WebP from photon, and the
 * well-known 1×1 WebP test images for the lossy and extended variants photon cannot write.
 */
import * as photon from "@cf-wasm/photon/others";
import { loadPhoton } from "../../cli/photon.ts";
import { concatBytes } from "../../src/bytes.ts";

// The binary's loader initialises the package's one wasm instance; `node`, the package's self-initialising entry,
// would refuse to load after it (tests share one module registry).
await loadPhoton();

export type Rgba = readonly [number, number, number, number];

/** width×height pixels from a colour function. */
export function pixels(width: number, height: number, color: (x: number, y: number) => Rgba): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.set(color(x, y), (y * width + x) * 4);
  return out;
}

/** A gradient with some structure, so that JPEG sizes depend on quality. */
export const gradient = (width: number, height: number) => (x: number, y: number): Rgba => [
  Math.round((255 * x) / width),
  Math.round((255 * y) / height),
  (x * y) % 256,
  255,
];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

const u32be = (n: number) => new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const ascii = (s: string) => new TextEncoder().encode(s);

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat(ascii(type), data);
  return concat(u32be(data.length), typed, u32be(crc32(typed)));
}

export async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function ihdr(width: number, height: number, colorType: number): Uint8Array {
  return pngChunk("IHDR", concat(u32be(width), u32be(height), new Uint8Array([8, colorType, 0, 0, 0])));
}

/** An 8-bit RGB (colour type 2) or RGBA (6) PNG of `rgba` pixels. */
export async function png(width: number, height: number, rgba: Uint8Array, alpha = false): Promise<Uint8Array> {
  const channels = alpha ? 4 : 3;
  const raw = new Uint8Array(height * (1 + width * channels));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * channels); // filter byte 0 (none), then the row
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) raw[row + 1 + x * channels + c] = rgba[(y * width + x) * 4 + c] as number;
    }
  }
  return concat(PNG_SIGNATURE, ihdr(width, height, alpha ? 6 : 2), pngChunk("IDAT", await zlib(raw)), pngChunk("IEND", new Uint8Array()));
}

/** A PNG whose header says width×height but whose data is one row of nothing: complete in structure only. */
export async function pngClaiming(width: number, height: number): Promise<Uint8Array> {
  return concat(PNG_SIGNATURE, ihdr(width, height, 2), pngChunk("IDAT", await zlib(new Uint8Array(4))), pngChunk("IEND", new Uint8Array()));
}

/** A JPEG from photon. */
export function jpeg(width: number, height: number, rgba: Uint8Array, quality = 90): Uint8Array {
  return withPhoton(new photon.PhotonImage(rgba, width, height), (img) => img.get_bytes_jpeg(quality));
}

/** A lossless (VP8L) WebP from photon. */
export function webpLossless(width: number, height: number, rgba: Uint8Array): Uint8Array {
  return withPhoton(new photon.PhotonImage(rgba, width, height), (img) => img.get_bytes_webp());
}

function withPhoton<T>(img: photon.PhotonImage, use: (img: photon.PhotonImage) => T): T {
  try {
    return use(img);
  } finally {
    img.free();
  }
}

/** Inserts segments (e.g. APP1, COM) and fill bytes right after SOI: a probe must skip them to reach SOF. */
export function jpegWithSegments(jpegBytes: Uint8Array, segments: { marker: number; payload: Uint8Array }[]): Uint8Array {
  const inserted = segments.map(({ marker, payload }) => {
    const length = payload.length + 2;
    return concat(new Uint8Array([0xff, 0xff, marker, length >> 8, length & 255]), payload); // 0xFF fill byte first
  });
  return concat(jpegBytes.subarray(0, 2), ...inserted, jpegBytes.subarray(2));
}

export interface GifFrame {
  width: number;
  height: number;
  left?: number;
  top?: number;
  /** Palette index (0–3) of each pixel. */
  index: (x: number, y: number) => number;
  transparentIndex?: number;
}

/** The palette of `gif`: red, blue, green, white. */
export const GIF_PALETTE: readonly Rgba[] = [
  [255, 0, 0, 255],
  [0, 0, 255, 255],
  [0, 255, 0, 255],
  [255, 255, 255, 255],
];

/** An animated GIF89a on a 4-colour global palette. */
export function gif(screenWidth: number, screenHeight: number, frames: GifFrame[]): Uint8Array {
  const b: number[] = [...ascii("GIF89a"), screenWidth & 255, screenWidth >> 8, screenHeight & 255, screenHeight >> 8, 0x81, 0, 0];
  for (const [r, g, bl] of GIF_PALETTE) b.push(r, g, bl);
  for (const f of frames) {
    const transparent = f.transparentIndex !== undefined;
    b.push(0x21, 0xf9, 4, transparent ? 1 : 0, 10, 0, f.transparentIndex ?? 0, 0);
    const left = f.left ?? 0;
    const top = f.top ?? 0;
    b.push(0x2c, left & 255, left >> 8, top & 255, top >> 8, f.width & 255, f.width >> 8, f.height & 255, f.height >> 8, 0);
    // Minimum code size 2: clear = 4, end = 5, 3-bit codes. A clear before each pixel stops the code table
    // from growing, so every code stays 3 bits wide.
    b.push(2);
    const codes: number[] = [];
    for (let y = 0; y < f.height; y++) for (let x = 0; x < f.width; x++) codes.push(4, f.index(x, y));
    codes.push(5);
    const data: number[] = [];
    let acc = 0;
    let bits = 0;
    for (const code of codes) {
      acc |= code << bits;
      bits += 3;
      while (bits >= 8) {
        data.push(acc & 255);
        acc >>= 8;
        bits -= 8;
      }
    }
    if (bits) data.push(acc & 255);
    for (let i = 0; i < data.length; i += 255) {
      const block = data.slice(i, i + 255);
      b.push(block.length, ...block);
    }
    b.push(0);
  }
  b.push(0x3b);
  return new Uint8Array(b);
}

const base64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** The 1×1 WebP images browsers' feature tests use: lossy (VP8), lossless (VP8L), extended (VP8X) with alpha, animated. */
export const WEBP_LOSSLESS_1X1 = base64("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==");
export const WEBP_LOSSY_1X1 = base64("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA");
export const WEBP_ALPHA_1X1 = base64(
  "UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==",
);
export const WEBP_ANIMATED_1X1 = base64(
  "UklGRlIAAABXRUJQVlA4WAoAAAASAAAAAAAAAAAAQU5JTQYAAAD/////AABBTk1GJgAAAAAAAAAAAAAAAAAAAGQAAABWUDhMDQAAAC8AAAAQBxAREYiI/gcA",
);

/** A VP8 (lossy) WebP header declaring width×height, structurally complete but with no real picture. */
export function webpLossyClaiming(width: number, height: number): Uint8Array {
  const frame = new Uint8Array(10);
  frame.set([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, width & 255, (width >> 8) & 0x3f, height & 255, (height >> 8) & 0x3f]);
  const chunk = concat(ascii("VP8 "), le32(frame.length), frame);
  return concat(ascii("RIFF"), le32(4 + chunk.length), ascii("WEBP"), chunk);
}

/** A VP8X WebP declaring a width×height canvas around the 1×1 lossless picture of `WEBP_ANIMATED_1X1`. */
export function webpExtendedClaiming(width: number, height: number, alpha: boolean): Uint8Array {
  const vp8x = new Uint8Array(10);
  vp8x[0] = alpha ? 0x10 : 0;
  vp8x.set([(width - 1) & 255, ((width - 1) >> 8) & 255, ((width - 1) >> 16) & 255], 4);
  vp8x.set([(height - 1) & 255, ((height - 1) >> 8) & 255, ((height - 1) >> 16) & 255], 7);
  const vp8l = WEBP_LOSSLESS_1X1.subarray(20); // the 1×1 VP8L bitstream
  const body = concat(ascii("VP8X"), le32(10), vp8x, ascii("VP8L"), le32(vp8l.length), vp8l, new Uint8Array(vp8l.length & 1));
  return concat(ascii("RIFF"), le32(4 + body.length), ascii("WEBP"), body);
}

function le32(n: number): Uint8Array {
  return new Uint8Array([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255]);
}

/** An 8-bit palette PNG (colour type 3) whose palette entries carry alpha in a tRNS chunk. */
export async function pngPalette(width: number, height: number, palette: readonly Rgba[], index: (x: number, y: number) => number): Promise<Uint8Array> {
  const raw = new Uint8Array(height * (1 + width));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (1 + width) + 1 + x] = index(x, y);
  return concat(
    PNG_SIGNATURE,
    ihdr(width, height, 3),
    pngChunk("PLTE", new Uint8Array(palette.flatMap(([r, g, b]) => [r, g, b]))),
    pngChunk("tRNS", new Uint8Array(palette.map((c) => c[3]))),
    pngChunk("IDAT", await zlib(raw)),
    pngChunk("IEND", new Uint8Array()),
  );
}
