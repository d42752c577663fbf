/**
 * The image pipeline's parts on real files made here (PNG, JPEG, GIF, WebP) and a real folder store: settings,
 * keys, the header probe, thumbnail sizes, and storeImage/deleteImageFiles in every store format.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { initPhoton } from "@cf-wasm/photon/others";
import { FsBlobStore } from "../../cli/fs-blob-store.ts";
import { loadPhoton } from "../../cli/photon.ts";
import { DscraperError, ValidationError } from "../../src/errors.ts";
import { ImageError, type ImageErrorKind } from "../../src/images/errors.ts";
import { fileNameOfKey, imageFileName, imageKeys, imageTargets, isImageFileName } from "../../src/images/keys.ts";
import { assertComplete, probeImage, type ImageHeader } from "../../src/images/probe.ts";
import { parseImageSettings, parseThumbs, type ImageSettingsInput } from "../../src/images/settings.ts";
import { deleteImageFiles, findStoredImage, storeImage } from "../../src/images/store-image.ts";
import { fitInside, renderInline, type Photon, type PhotonImageHandle } from "../../src/images/thumbnail.ts";
import type { BlobStore } from "../../src/ports.ts";
import { tempDir } from "../support/temp.ts";
import {
  concat,
  gif,
  gradient,
  ihdr,
  jpeg,
  jpegWithSegments,
  PNG_SIGNATURE,
  pixels,
  png,
  pngChunk,
  pngClaiming,
  pngPalette,
  webpExtendedClaiming,
  webpLossless,
  webpLossyClaiming,
  WEBP_ALPHA_1X1,
  WEBP_ANIMATED_1X1,
  WEBP_LOSSLESS_1X1,
  WEBP_LOSSY_1X1,
} from "./encoders.ts";

let photon: Photon;
let wasmMemory: WebAssembly.Memory;
beforeAll(async () => {
  photon = await loadPhoton();
  wasmMemory = (await initPhoton.ensure()).memory;
});

const URL_A = "https://example.com/images/a.png";
const URL_B = "https://example.com/images/b.png";
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

/** photon with every handle counted, so that tests see decodes and leaks; `failJpegAfter` injects a failure. */
function spyPhoton(options: { failJpegAfter?: number } = {}) {
  const real = photon;
  const live = new Set<Tracked>();
  const stats = { decodes: 0, created: 0, jpegs: 0, live };
  class Tracked implements PhotonImageHandle {
    readonly inner: PhotonImageHandle;
    constructor(raw: Uint8Array, width: number, height: number, inner?: PhotonImageHandle) {
      this.inner = inner ?? new real.PhotonImage(raw, width, height);
      stats.created++;
      live.add(this);
    }
    static new_from_byteslice(bytes: Uint8Array): Tracked {
      stats.decodes++;
      return new Tracked(new Uint8Array(), 0, 0, real.PhotonImage.new_from_byteslice(bytes));
    }
    get_width() {
      return this.inner.get_width();
    }
    get_height() {
      return this.inner.get_height();
    }
    get_bytes_jpeg(quality: number) {
      if (options.failJpegAfter !== undefined && stats.jpegs >= options.failJpegAfter) throw new Error("injected encoder failure");
      stats.jpegs++;
      return this.inner.get_bytes_jpeg(quality);
    }
    free() {
      if (!live.delete(this)) throw new Error("freed twice");
      this.inner.free();
    }
  }
  const unwrap = (h: PhotonImageHandle) => (h as Tracked).inner;
  const spy: Photon = {
    PhotonImage: Tracked,
    resize: (img, w, h, filter) => new Tracked(new Uint8Array(), 0, 0, real.resize(unwrap(img), w, h, filter)),
    watermark: (img, overlay, x, y) => real.watermark(unwrap(img), unwrap(overlay), x, y),
    SamplingFilter: real.SamplingFilter,
  };
  return { photon: spy, stats };
}

/** A folder store that records its puts. */
function countingStore(): { store: BlobStore; puts: string[]; all: () => Promise<string[]> } {
  const inner = new FsBlobStore(tempDir("dscraper-images-"));
  const puts: string[] = [];
  const store: BlobStore = {
    put: (key, data, type) => {
      puts.push(key);
      return inner.put(key, data, type);
    },
    get: (key) => inner.get(key),
    delete: (key) => inner.delete(key),
    exists: (key) => inner.exists(key),
    list: (prefix) => inner.list(prefix),
  };
  const all = async () => {
    const keys: string[] = [];
    for await (const key of inner.list()) keys.push(key);
    return keys.sort();
  };
  return { store, puts, all };
}

/** Decodes with photon: size and the RGBA of the pixel at x, y. */
function decoded(bytes: Uint8Array, at: [number, number] = [0, 0]) {
  const img = photon.PhotonImage.new_from_byteslice(bytes) as PhotonImageHandle & { get_raw_pixels(): Uint8Array };
  try {
    const width = img.get_width();
    const i = (at[1] * width + at[0]) * 4;
    return { width, height: img.get_height(), rgba: [...img.get_raw_pixels().slice(i, i + 4)] };
  } finally {
    img.free();
  }
}

async function refusal(promise: Promise<unknown>): Promise<ImageError> {
  const e = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(ImageError);
  return e as ImageError;
}

function probeRefusal(bytes: Uint8Array, check: (b: Uint8Array) => unknown = probeImage): ImageError {
  try {
    check(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return e as ImageError;
  }
  throw new Error("expected an ImageError");
}

// Files made once: a 600×400 source for thumbnail arithmetic and small ones in every format.
const F = {} as Record<
  "png" | "pngAlpha" | "pngPalette" | "jpeg" | "jpegExif" | "gif" | "gifTransparent" | "gifOffset" | "gifTwoFrames" | "gifBigFrame" | "webp",
  Uint8Array
>;
beforeAll(async () => {
  F.png = await png(600, 400, pixels(600, 400, gradient(600, 400)));
  // Left half fully transparent black, right half opaque red.
  F.pngAlpha = await png(40, 20, pixels(40, 20, (x) => (x < 20 ? [0, 0, 0, 0] : [255, 0, 0, 255])), true);
  F.pngPalette = await pngPalette(8, 8, [[0, 0, 0, 0], [0, 128, 0, 255]], (x) => (x < 4 ? 0 : 1));
  F.jpeg = jpeg(300, 200, pixels(300, 200, gradient(300, 200)));
  F.jpegExif = jpegWithSegments(F.jpeg, [
    { marker: 0xe1, payload: concat(new TextEncoder().encode("Exif\0\0"), new Uint8Array(2000).fill(0xd9)) },
    { marker: 0xfe, payload: new TextEncoder().encode("a comment") },
  ]);
  F.gif = gif(8, 6, [{ width: 8, height: 6, index: (x) => (x < 4 ? 0 : 1) }]);
  F.gifTransparent = gif(8, 6, [{ width: 8, height: 6, index: (x) => (x < 4 ? 3 : 0), transparentIndex: 3 }]);
  F.gifOffset = gif(8, 6, [{ width: 4, height: 3, left: 2, top: 2, index: () => 0 }]);
  F.gifTwoFrames = gif(8, 6, [
    { width: 8, height: 6, index: () => 0 },
    { width: 8, height: 6, index: () => 1 },
  ]);
  F.gifBigFrame = gif(2, 2, [{ width: 8, height: 6, index: () => 0 }]);
  F.webp = webpLossless(40, 30, pixels(40, 30, gradient(40, 30)));
});

describe("settings", () => {
  test("defaults: FLAT, no thumbnails, 10 MiB, 40,000,000 pixels, quality 85", () => {
    expect(parseImageSettings({})).toEqual({ format: "FLAT", thumbs: {}, maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000, jpegQuality: 85 });
  });

  test.each<[string, ImageSettingsInput]>([
    ["FLAT with one size", { format: "FLAT", thumbs: { small: [170, 170] } }],
    ["ALL with none", { format: "ALL" }],
    ["ALL with two", { format: "ALL", thumbs: { small: [170, 170], large: [600, 400] } }],
    ["THUMBS with two", { format: "THUMBS", thumbs: { small: [170, 170], large: [600, 400] } }],
    ["caps and quality", { maxBytes: 1, maxPixels: 1, jpegQuality: 100 }],
  ])("accepts %s", (_, input) => {
    expect(() => parseImageSettings(input)).not.toThrow();
  });

  test.each<[string, unknown, string, RegExp]>([
    ["FLAT with two sizes", { format: "FLAT", thumbs: { small: [1, 1], large: [2, 2] } }, "thumbs", /FLAT .* at most one thumbnail size \(got 2: small, large\); use ALL or THUMBS/],
    ["THUMBS with none", { format: "THUMBS" }, "thumbs", /THUMBS .* needs at least one thumbnail size/],
    ["an unknown format", { format: "flat" }, "format", /must be one of FLAT, ALL, THUMBS/],
    ["quality 0", { jpegQuality: 0 }, "jpegQuality", /between 1 and 100/],
    ["quality 101", { jpegQuality: 101 }, "jpegQuality", /between 1 and 100/],
    ["fractional quality", { jpegQuality: 85.5 }, "jpegQuality", /integer/],
    ["a zero width", { thumbs: { small: [0, 10] } }, "thumbs.small[0]", /positive/],
    ["a fractional height", { thumbs: { small: [10, 1.5] } }, "thumbs.small[1]", /integer/],
    ["one number", { thumbs: { small: [10] } }, "thumbs.small", /\[width, height\]|expected/],
    ["a name with a space", { thumbs: { "sm all": [1, 1] } }, "thumbs.sm all", /letters, digits, _ and -/],
    ["a name with a slash", { thumbs: { "../x": [1, 1] } }, "thumbs.../x", /letters, digits, _ and -/],
    ["negative max bytes", { maxBytes: -1 }, "maxBytes", /positive/],
    ["an unknown field", { thumbnails: {} }, "thumbnails", /unknown field/],
  ])("refuses %s, naming the field", (_, input, path, message) => {
    let error: unknown;
    try {
      parseImageSettings(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issue = (error as ValidationError).issues.find((i) => i.path === path);
    expect(issue?.message).toMatch(message);
  });

  test.each<[string, Record<string, [number, number]>]>([
    ["", {}],
    ["  ", {}],
    ["small=170x170", { small: [170, 170] }],
    ["small=170x170,large=600x400", { small: [170, 170], large: [600, 400] }],
    [" small = 170X170 , wide_1=300x100 ", { small: [170, 170], wide_1: [300, 100] }],
  ])("parseThumbs(%j)", (text, expected) => {
    expect(parseThumbs(text)).toEqual(expected);
  });

  test.each<[string, string]>([
    ["small", `"small": expected NAME=WIDTHxHEIGHT`],
    ["small=170", `"small=170": expected NAME=WIDTHxHEIGHT`],
    ["small=170x170,large", `"large": expected NAME=WIDTHxHEIGHT`],
    ["small=-1x5", `"small=-1x5": expected NAME=WIDTHxHEIGHT`],
    ["=10x10", `"=10x10": the name before = is missing`],
    ["a b=1x1", `"a b=1x1": name must hold only letters`],
    ["small=0x10", `"small=0x10": width must be positive`],
    ["small=10x0", `"small=10x0": height must be positive`],
    ["small=99999x10", `"small=99999x10": width must be at most 16384`],
    ["a=1x1,a=2x2", `"a=2x2": the name "a" is given twice`],
    ["a=1x1,,b=2x2", `"": empty size between commas`],
    ["__proto__=1x1", `"__proto__=1x1": name must not be __proto__`],
  ])("parseThumbs(%j) names the bad part", (text, message) => {
    let error: unknown;
    try {
      parseThumbs(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toBe("thumbs");
    expect((error as ValidationError).message).toContain(message);
  });
});

describe("keys", () => {
  test("the file name is the SHA-1 hex of the absolute URL + .jpg", async () => {
    expect(await imageFileName(URL_A)).toBe(`${sha1(URL_A)}.jpg`);
    expect(await imageFileName("https://example.com/a.jpg?x=1&y=2")).toBe(`${sha1("https://example.com/a.jpg?x=1&y=2")}.jpg`);
  });

  test("two spellings of one URL share a file name (the WHATWG form is hashed)", async () => {
    expect(await imageFileName("HTTPS://Example.COM/a b.jpg")).toBe(`${sha1("https://example.com/a%20b.jpg")}.jpg`);
    expect(await imageFileName("https://example.com")).toBe(`${sha1("https://example.com/")}.jpg`);
  });

  test("a relative URL is refused", async () => {
    await expect(imageFileName("/images/a.png")).rejects.toThrow("absolute URL");
  });

  const F_NAME = `${"ab".repeat(20)}.jpg`;
  test.each<[string, ImageSettingsInput, string[]]>([
    ["FLAT, no thumbnail", {}, [F_NAME]],
    ["FLAT, one thumbnail (it replaces the original)", { thumbs: { small: [170, 170] } }, [F_NAME]],
    ["ALL, no thumbnail", { format: "ALL" }, [`full/${F_NAME}`]],
    ["ALL, two thumbnails", { format: "ALL", thumbs: { small: [170, 170], large: [600, 400] } }, [`full/${F_NAME}`, `thumbs/large/${F_NAME}`, `thumbs/small/${F_NAME}`]],
    ["THUMBS, two thumbnails", { format: "THUMBS", thumbs: { small: [170, 170], large: [600, 400] } }, [`thumbs/large/${F_NAME}`, `thumbs/small/${F_NAME}`]],
  ])("%s", (_, input, keys) => {
    expect(imageKeys(F_NAME, parseImageSettings(input))).toEqual(keys);
  });

  test("targets say which thumbnail goes where; FLAT's single file carries the thumbnail", () => {
    expect(imageTargets(F_NAME, parseImageSettings({ thumbs: { small: [170, 170] } }))).toEqual([{ key: F_NAME, thumb: { name: "small", width: 170, height: 170 } }]);
    expect(imageTargets(F_NAME, parseImageSettings({ format: "ALL", thumbs: { s: [1, 2] } }))).toEqual([
      { key: `full/${F_NAME}`, thumb: undefined },
      { key: `thumbs/s/${F_NAME}`, thumb: { name: "s", width: 1, height: 2 } },
    ]);
  });

  test.each<[string, string | undefined]>([
    [F_NAME, F_NAME],
    [`full/${F_NAME}`, F_NAME],
    [`thumbs/small/${F_NAME}`, F_NAME],
    [`thumbs/${F_NAME}`, undefined],
    [`other/${F_NAME}`, undefined],
    ["full/x.jpg", undefined],
    [`${"AB".repeat(20)}.jpg`, undefined],
  ])("fileNameOfKey(%j) = %j", (key, name) => {
    expect(fileNameOfKey(key)).toBe(name);
  });

  test("only names made by imageFileName are file names", () => {
    expect(isImageFileName(F_NAME)).toBe(true);
    expect(isImageFileName("https://example.com/a.jpg")).toBe(false);
    expect(isImageFileName(`../${F_NAME}`)).toBe(false);
    expect(() => imageKeys("../../etc/passwd", parseImageSettings({}))).toThrow("not an image file name");
  });
});

describe("probe: size and type from the header", () => {
  test.each<[string, () => Uint8Array, ImageHeader]>([
    ["PNG, RGB", () => F.png, { type: "png", width: 600, height: 400, hasAlpha: false }],
    ["PNG, RGBA", () => F.pngAlpha, { type: "png", width: 40, height: 20, hasAlpha: true }],
    ["PNG, palette with tRNS", () => F.pngPalette, { type: "png", width: 8, height: 8, hasAlpha: true }],
    ["JPEG", () => F.jpeg, { type: "jpeg", width: 300, height: 200, hasAlpha: false }],
    ["JPEG with APP1, COM and fill bytes before SOF", () => F.jpegExif, { type: "jpeg", width: 300, height: 200, hasAlpha: false }],
    ["JPEG, progressive (SOF2)", () => jpegHeader(0xc2, 8, 3000, 4000), { type: "jpeg", width: 4000, height: 3000, hasAlpha: false }],
    ["GIF", () => F.gif, { type: "gif", width: 8, height: 6, hasAlpha: false }],
    ["GIF with a transparent colour", () => F.gifTransparent, { type: "gif", width: 8, height: 6, hasAlpha: true }],
    ["GIF whose first frame leaves the screen's edge uncovered", () => F.gifOffset, { type: "gif", width: 8, height: 6, hasAlpha: true }],
    ["GIF whose first frame is larger than its screen", () => F.gifBigFrame, { type: "gif", width: 8, height: 6, hasAlpha: false }],
    ["WebP lossless (VP8L), written by photon with its alpha hint set", () => F.webp, { type: "webp", width: 40, height: 30, hasAlpha: true }],
    ["WebP lossless 1×1 with its alpha hint set", () => WEBP_LOSSLESS_1X1, { type: "webp", width: 1, height: 1, hasAlpha: true }],
    ["WebP lossy (VP8)", () => WEBP_LOSSY_1X1, { type: "webp", width: 1, height: 1, hasAlpha: false }],
    ["WebP lossy declaring 16383×16383", () => webpLossyClaiming(16383, 16383), { type: "webp", width: 16383, height: 16383, hasAlpha: false }],
    ["WebP extended (VP8X) with alpha", () => WEBP_ALPHA_1X1, { type: "webp", width: 1, height: 1, hasAlpha: true }],
    ["WebP extended, animated, with alpha", () => WEBP_ANIMATED_1X1, { type: "webp", width: 1, height: 1, hasAlpha: true }],
    ["WebP extended declaring a 16777216×3 canvas", () => webpExtendedClaiming(16_777_216, 3, false), { type: "webp", width: 16_777_216, height: 3, hasAlpha: false }],
  ])("%s", (_, bytes, header) => {
    expect(probeImage(bytes())).toEqual(header);
  });

  test("reads only the header: a 33-byte PNG claiming 100000×100000 is enough", () => {
    const header = concat(PNG_SIGNATURE, ihdr(100_000, 100_000, 6));
    expect(header.length).toBe(33);
    expect(probeImage(header)).toEqual({ type: "png", width: 100_000, height: 100_000, hasAlpha: true });
  });

  test.each<[string, Uint8Array, string]>([
    ["an empty file", new Uint8Array(), "an empty file"],
    ["an HTML error page", new TextEncoder().encode("\ufeff  <!doctype html><title>404</title>"), "HTML page or SVG"],
    ["SVG", new TextEncoder().encode(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "HTML page or SVG"],
    ["BMP", new TextEncoder().encode("BM\0\0\0\0"), "BMP"],
    ["TIFF", new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), "TIFF"],
    ["AVIF", concat(new Uint8Array([0, 0, 0, 0x1c]), new TextEncoder().encode("ftypavif")), "AVIF"],
    ["random bytes", new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), "unknown"],
  ])("unsupported format: %s", (_, bytes, named) => {
    const e = probeRefusal(bytes);
    expect(e.kind).toBe("unsupported_format");
    expect(e.message).toContain(named);
    expect(e.message).toContain("PNG, JPEG, GIF and WebP");
  });

  test.each<[string, () => Uint8Array, string]>([
    ["arithmetic-coded JPEG (SOF9)", () => jpegHeader(0xc9, 8, 10, 10), "SOF9"],
    ["lossless JPEG (SOF3)", () => jpegHeader(0xc3, 8, 10, 10), "SOF3"],
    ["12-bit JPEG", () => jpegHeader(0xc1, 12, 10, 10), "12-bit"],
    ["JPEG with its height in a DNL marker", () => jpegHeader(0xc0, 8, 0, 10), "DNL"],
  ])("unsupported variant: %s", (_, bytes, named) => {
    const e = probeRefusal(bytes());
    expect(e.kind).toBe("unsupported_format");
    expect(e.message).toContain(named);
  });

  test.each<[string, () => Uint8Array, string]>([
    ["PNG signature only", () => PNG_SIGNATURE, "ends before its header"],
    ["PNG whose first chunk is not IHDR", () => concat(PNG_SIGNATURE, pngChunk("IDAT", new Uint8Array(13))), "first chunk is not IHDR"],
    ["PNG of 0×10", () => concat(PNG_SIGNATURE, ihdr(0, 10, 2)), "0×10"],
    ["JPEG cut after SOI", () => new Uint8Array([0xff, 0xd8, 0xff]), "ends before"],
    ["JPEG with data before any frame header", () => new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2, 1, 2, 0xff, 0xd9]), "before a frame header"],
    ["JPEG with garbage between segments", () => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0x12, 0x34]), "no marker at byte 8"],
    ["GIF cut in its screen descriptor", () => new TextEncoder().encode("GIF89a\x08\x00"), "ends before"],
    ["GIF with no frame", () => concat(new TextEncoder().encode("GIF89a"), new Uint8Array([8, 0, 6, 0, 0, 0, 0, 0x3b])), "no image"],
    ["GIF of 0×0", () => gif(0, 0, [{ width: 0, height: 0, index: () => 0 }]), "0×0"],
    ["WebP with an unknown first chunk", () => concat(new TextEncoder().encode("RIFF\x0c\x00\x00\x00WEBPABCD"), new Uint8Array(4)), "unknown first chunk"],
    ["WebP VP8 without its start code", () => concat(WEBP_LOSSY_1X1.subarray(0, 23), new Uint8Array(8)), "start code"],
  ])("corrupt: %s", (_, bytes, why) => {
    const e = probeRefusal(bytes());
    expect(e.kind).toBe("corrupt");
    expect(e.message).toContain(why);
  });
});

describe("probe: the file is complete", () => {
  const complete: [string, () => Uint8Array][] = [
    ["PNG", () => F.png],
    ["PNG with alpha", () => F.pngAlpha],
    ["JPEG", () => F.jpeg],
    ["JPEG with APP1 full of FF D9 bytes", () => F.jpegExif],
    ["GIF", () => F.gif],
    ["WebP lossless", () => F.webp],
    ["WebP lossy", () => WEBP_LOSSY_1X1],
    ["WebP extended", () => WEBP_ALPHA_1X1],
    ["WebP animated", () => WEBP_ANIMATED_1X1],
  ];

  test.each(complete)("%s is complete", (_, bytes) => {
    const b = bytes();
    expect(() => assertComplete(b, probeImage(b).type)).not.toThrow();
  });

  test.each(complete)("%s cut in half, or short of its last bytes, is corrupt", (_, bytes) => {
    const b = bytes();
    const type = probeImage(b).type;
    for (const cut of [b.subarray(0, Math.max(30, b.length >> 1)), b.subarray(0, b.length - 2)]) {
      const e = probeRefusal(cut, (c) => assertComplete(c, type));
      expect(e.kind).toBe("corrupt");
    }
  });

  test("trailing bytes after a JPEG's end marker are accepted", () => {
    expect(() => assertComplete(concat(F.jpeg, new TextEncoder().encode("trailing camera data")), "jpeg")).not.toThrow();
  });

  test("a GIF needs only its first frame whole: that is all the decoder reads", () => {
    const g = F.gifTwoFrames;
    expect(() => assertComplete(g.subarray(0, g.length - 1), "gif")).not.toThrow(); // no trailer
    expect(() => assertComplete(g.subarray(0, g.length - 20), "gif")).not.toThrow(); // second frame cut
    // Header and 4-colour palette (25 bytes), two frames of one length, the trailer (1 byte).
    const firstFrameEnd = 25 + (g.length - 25 - 1) / 2;
    expect(() => assertComplete(g.subarray(0, firstFrameEnd), "gif")).not.toThrow();
    expect(probeRefusal(g.subarray(0, firstFrameEnd - 1), (b) => assertComplete(b, "gif")).kind).toBe("corrupt");
  });

  test("a PNG with no IDAT is corrupt", () => {
    const e = probeRefusal(concat(PNG_SIGNATURE, ihdr(1, 1, 2), pngChunk("IEND", new Uint8Array())), (b) => assertComplete(b, "png"));
    expect(e.message).toContain("no IDAT");
  });
});

/** The bytes of a JPEG up to its frame header: SOI, SOFn with the given precision and size. */
function jpegHeader(sof: number, precision: number, height: number, width: number): Uint8Array {
  return new Uint8Array([0xff, 0xd8, 0xff, sof, 0, 11, precision, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0]);
}

describe("thumbnail size: fits the box, keeps the aspect ratio, never upscales", () => {
  test.each<[number, number, number, number, number, number]>([
    [600, 400, 170, 170, 170, 113],
    [400, 600, 170, 170, 113, 170],
    [600, 400, 300, 100, 150, 100],
    [600, 400, 600, 400, 600, 400],
    [600, 400, 1000, 1000, 600, 400],
    [100, 50, 170, 170, 100, 50],
    [170, 170, 170, 170, 170, 170],
    [1000, 1, 100, 100, 100, 1],
    [1, 1000, 100, 100, 1, 100],
    [1001, 1000, 100, 100, 100, 100],
    [3000, 2000, 170, 170, 170, 113],
  ])("%i×%i in %i×%i → %i×%i", (w, h, bw, bh, ew, eh) => {
    expect(fitInside(w, h, bw, bh)).toEqual({ width: ew, height: eh });
  });
});

describe("storeImage", () => {
  const TWO = { small: [170, 170], wide: [300, 100] } satisfies Record<string, [number, number]>;
  test.each<[string, ImageSettingsInput, [string, number, number][]]>([
    ["FLAT, no thumbnail: the original, as JPEG", {}, [["", 600, 400]]],
    ["FLAT, one thumbnail: the thumbnail replaces the original", { thumbs: { small: [170, 170] } }, [["", 170, 113]]],
    ["ALL, no thumbnail", { format: "ALL" }, [["full/", 600, 400]]],
    ["ALL, two thumbnails", { format: "ALL", thumbs: TWO }, [["full/", 600, 400], ["thumbs/small/", 170, 113], ["thumbs/wide/", 150, 100]]],
    ["THUMBS, two thumbnails", { format: "THUMBS", thumbs: TWO }, [["thumbs/small/", 170, 113], ["thumbs/wide/", 150, 100]]],
  ])("%s", async (_, input, files) => {
    const { store, all } = countingStore();
    const spy = spyPhoton();
    const result = await storeImage(F.png, URL_A, parseImageSettings(input), store, renderInline(spy.photon));
    const fileName = `${sha1(URL_A)}.jpg`;
    const keys = files.map(([folder]) => `${folder}${fileName}`);
    expect(result).toEqual({ fileName, keys, written: keys });
    expect(await all()).toEqual([...keys].sort());
    for (const [folder, width, height] of files) {
      const bytes = (await store.get(`${folder}${fileName}`))!;
      expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      expect(decoded(bytes)).toMatchObject({ width, height });
    }
    expect(spy.stats.decodes).toBe(1);
    expect(spy.stats.live.size).toBe(0);
  });

  test.each<[string, () => Uint8Array, number, number]>([
    ["PNG", () => F.png, 600, 400],
    ["PNG, palette", () => F.pngPalette, 8, 8],
    ["JPEG", () => F.jpeg, 300, 200],
    ["JPEG with APP segments", () => F.jpegExif, 300, 200],
    ["GIF", () => F.gif, 8, 6],
    ["GIF whose frame is larger than its screen", () => F.gifBigFrame, 2, 2],
    ["WebP lossless", () => F.webp, 40, 30],
    ["WebP lossy", () => WEBP_LOSSY_1X1, 1, 1],
    ["WebP extended with alpha", () => WEBP_ALPHA_1X1, 1, 1],
    ["WebP animated", () => WEBP_ANIMATED_1X1, 1, 1],
  ])("stores a %s as JPEG, with its thumbnail", async (_, bytes, width, height) => {
    const { store } = countingStore();
    const spy = spyPhoton();
    const settings = parseImageSettings({ format: "ALL", thumbs: { small: [170, 170] } });
    const { keys } = await storeImage(bytes(), URL_A, settings, store, renderInline(spy.photon));
    const full = (await store.get(keys[0]!))!;
    expect(decoded(full)).toMatchObject({ width, height });
    const thumb = fitInside(width, height, 170, 170);
    expect(decoded((await store.get(keys[1]!))!)).toMatchObject(thumb);
    expect(spy.stats.live.size).toBe(0);
  });

  test("a GIF gives its first frame", async () => {
    const { store } = countingStore();
    const { keys } = await storeImage(F.gifTwoFrames, URL_A, parseImageSettings({}), store, renderInline(photon));
    const [r, g, b] = decoded((await store.get(keys[0]!))!, [4, 3]).rgba;
    expect(r).toBeGreaterThan(200); // frame 1 is red, frame 2 blue
    expect(b).toBeLessThan(60);
    expect(g).toBeLessThan(60);
  });

  test.each<[string, () => Uint8Array, [number, number], [number, number]]>([
    ["PNG with an alpha channel", () => F.pngAlpha, [2, 10], [35, 10]],
    ["PNG with a transparent palette entry", () => F.pngPalette, [1, 1], [6, 6]],
    ["GIF with a transparent colour", () => F.gifTransparent, [1, 1], [6, 3]],
  ])("transparent pixels of a %s become white, opaque ones keep their colour", async (_, bytes, clear, opaque) => {
    const { store } = countingStore();
    const spy = spyPhoton();
    const { keys } = await storeImage(bytes(), URL_A, parseImageSettings({}), store, renderInline(spy.photon));
    const jpg = (await store.get(keys[0]!))!;
    for (const channel of decoded(jpg, clear).rgba.slice(0, 3)) expect(channel).toBeGreaterThan(240);
    expect(decoded(jpg, opaque).rgba.slice(0, 3).some((c) => c < 100)).toBe(true);
    expect(spy.stats.live.size).toBe(0);
  });

  test("thumbnails are never upscaled; boxes of the same result share one encoding", async () => {
    const { store } = countingStore();
    const spy = spyPhoton();
    const settings = parseImageSettings({ format: "ALL", thumbs: { big: [1000, 1000], huge: [2000, 900] } });
    const { keys } = await storeImage(F.png, URL_A, settings, store, renderInline(spy.photon));
    for (const key of keys) expect(decoded((await store.get(key))!)).toMatchObject({ width: 600, height: 400 });
    expect(spy.stats.jpegs).toBe(1);
  });

  test("the JPEG quality setting is used", async () => {
    const sizes: number[] = [];
    for (const jpegQuality of [20, 95]) {
      const { store } = countingStore();
      const { keys } = await storeImage(F.png, URL_A, parseImageSettings({ jpegQuality }), store, renderInline(photon));
      sizes.push((await store.get(keys[0]!))!.length);
    }
    expect(sizes[0]!).toBeLessThan(sizes[1]! / 2);
  });

  test("the same image stored twice is written once; findStoredImage sees it", async () => {
    const { store, puts } = countingStore();
    const spy = spyPhoton();
    const settings = parseImageSettings({ format: "ALL", thumbs: { small: [170, 170] } });
    expect(await findStoredImage(URL_A, settings, store)).toBeUndefined();
    const first = await storeImage(F.png, URL_A, settings, store, renderInline(spy.photon));
    expect(first.written).toHaveLength(2);
    const second = await storeImage(F.png, URL_A, settings, store, renderInline(spy.photon));
    expect(second).toEqual({ ...first, written: [] });
    expect(puts).toHaveLength(2);
    expect(spy.stats.decodes).toBe(1);
    expect(await findStoredImage(URL_A, settings, store)).toEqual(second);
    // Even bytes that would be refused: the file of that URL is already there.
    expect((await storeImage(new Uint8Array([1, 2, 3]), URL_A, settings, store, renderInline(spy.photon))).written).toEqual([]);
  });

  test("an image with only some of its files present is written again in full", async () => {
    const { store, puts } = countingStore();
    const settings = parseImageSettings({ format: "ALL", thumbs: { small: [170, 170] } });
    const first = await storeImage(F.png, URL_A, settings, store, renderInline(photon));
    await store.delete(first.keys[1]!);
    const again = await storeImage(F.png, URL_A, settings, store, renderInline(photon));
    expect(again.written).toEqual(first.keys);
    expect(puts).toHaveLength(4);
  });

  describe("refusals write nothing and say why", () => {
    test.each<[string, () => Uint8Array, ImageSettingsInput, ImageErrorKind, number, string]>([
      ["over maxBytes", () => F.png, { maxBytes: 1000 }, "too_large", 0, "over the limit of 1000 bytes"],
      ["over maxPixels", () => F.png, { maxPixels: 239_999 }, "too_many_pixels", 0, "600×400 = 240000 pixels is over the limit of 239999"],
      ["a PNG claiming 100000×100000 (structurally complete)", () => pngClaimingHuge, {}, "too_many_pixels", 0, "100000×100000"],
      ["a 33-byte PNG header claiming 100000×100000", () => concat(PNG_SIGNATURE, ihdr(100_000, 100_000, 6)), {}, "too_many_pixels", 0, "100000×100000"],
      ["a GIF claiming 65535×65535", () => gifClaimingHuge, {}, "too_many_pixels", 0, "65535×65535"],
      ["a JPEG claiming 65000×65000", () => concat(jpegHeader(0xc0, 8, 65000, 65000), F.jpeg.subarray(2)), {}, "too_many_pixels", 0, "65000×65000"],
      ["a WebP claiming 16383×16383", () => webpLossyClaiming(16383, 16383), {}, "too_many_pixels", 0, "16383×16383"],
      ["an HTML page", () => new TextEncoder().encode("<html><body>Not found</body></html>"), {}, "unsupported_format", 0, "HTML"],
      ["a BMP", () => new TextEncoder().encode("BM\0\0\0\0\0\0\0\0"), {}, "unsupported_format", 0, "BMP"],
      ["a truncated PNG", () => F.png.subarray(0, F.png.length >> 1), {}, "corrupt", 0, "truncated"],
      ["a truncated JPEG", () => F.jpeg.subarray(0, F.jpeg.length - 10), {}, "corrupt", 0, "truncated"],
      ["a truncated GIF", () => F.gif.subarray(0, 40), {}, "corrupt", 0, "ends before"],
      ["a truncated WebP", () => F.webp.subarray(0, F.webp.length - 4), {}, "corrupt", 0, "truncated"],
      ["a whole PNG whose pixel data is missing (only the decoder can tell)", () => pngNoPixels, {}, "corrupt", 1, "could not read"],
    ])("%s", async (_, bytes, input, kind, decodes, message) => {
      const { store, all } = countingStore();
      const spy = spyPhoton();
      const before = wasmMemory.buffer.byteLength;
      const e = await refusal(storeImage(bytes(), URL_A, parseImageSettings(input), store, renderInline(spy.photon)));
      expect(e.kind).toBe(kind);
      expect(e.message).toContain(message);
      expect(e).toBeInstanceOf(DscraperError);
      expect(e.code).toBe("invalid_image");
      expect(await all()).toEqual([]);
      expect(spy.stats.decodes).toBe(decodes);
      expect(spy.stats.live.size).toBe(0);
      if (decodes === 0) expect(wasmMemory.buffer.byteLength).toBe(before);
    });
  });

  test("a failing encoder frees every image and writes nothing", async () => {
    const { store, all } = countingStore();
    const spy = spyPhoton({ failJpegAfter: 1 });
    const settings = parseImageSettings({ format: "ALL", thumbs: { small: [170, 170] } });
    await expect(storeImage(F.png, URL_A, settings, store, renderInline(spy.photon))).rejects.toThrow("injected encoder failure");
    expect(spy.stats.created).toBe(2); // the decoded image and its thumbnail, whose encoding failed
    expect(spy.stats.live.size).toBe(0);
    expect(await all()).toEqual([]);
  });

  test("a failing store keeps nothing of the image", async () => {
    const { store, all } = countingStore();
    let calls = 0;
    const failing: BlobStore = {
      ...store,
      put: async (key, data, type) => {
        if (++calls === 2) throw new Error("bucket unavailable");
        return store.put(key, data, type);
      },
    };
    const settings = parseImageSettings({ format: "ALL", thumbs: { small: [170, 170] } });
    await expect(storeImage(F.png, URL_A, settings, failing, renderInline(photon))).rejects.toThrow("bucket unavailable");
    expect(await all()).toEqual([]);
  });

  test("a relative URL is refused before anything else", async () => {
    const { store } = countingStore();
    await expect(storeImage(F.png, "/a.png", parseImageSettings({}), store, renderInline(photon))).rejects.toBeInstanceOf(TypeError);
  });
});

describe("deleteImageFiles", () => {
  test.each<[string, ImageSettingsInput]>([
    ["FLAT", {}],
    ["ALL with two thumbnails", { format: "ALL", thumbs: { small: [170, 170], wide: [300, 100] } }],
    ["THUMBS", { format: "THUMBS", thumbs: { small: [170, 170], wide: [300, 100] } }],
  ])("removes exactly the image's files (%s)", async (_, input) => {
    const { store, all } = countingStore();
    const settings = parseImageSettings(input);
    const a = await storeImage(F.png, URL_A, settings, store, renderInline(photon));
    const b = await storeImage(F.jpeg, URL_B, settings, store, renderInline(photon));
    expect(await deleteImageFiles(a.fileName, settings, store)).toEqual(a.keys);
    expect(await all()).toEqual([...b.keys].sort());
    expect(await deleteImageFiles(a.fileName, settings, store)).toEqual(a.keys); // again: nothing left, no error
    expect(await all()).toEqual([...b.keys].sort());
  });

  test("a value that is not a file name (the URL an attr keeps when nothing was stored) removes nothing", async () => {
    const { store, all } = countingStore();
    const settings = parseImageSettings({});
    const a = await storeImage(F.png, URL_A, settings, store, renderInline(photon));
    expect(await deleteImageFiles(URL_A, settings, store)).toEqual([]);
    expect(await deleteImageFiles("../../etc/passwd", settings, store)).toEqual([]);
    expect(await all()).toEqual(a.keys);
  });
});

describe("photon in Bun (cli/photon.ts)", () => {
  test("is loaded once and satisfies the port", async () => {
    expect(await loadPhoton()).toBe(photon);
    expect(typeof photon.PhotonImage.new_from_byteslice).toBe("function");
  });
});

let pngClaimingHuge: Uint8Array;
let pngNoPixels: Uint8Array;
let gifClaimingHuge: Uint8Array;
beforeAll(async () => {
  pngClaimingHuge = await pngClaiming(100_000, 100_000);
  pngNoPixels = await pngClaiming(50, 50);
  gifClaimingHuge = gif(65535, 65535, [{ width: 1, height: 1, index: () => 0 }]);
});
