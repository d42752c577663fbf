/**
 * @module
 * The image settings (INTERFACE.md, Configuration): how files are laid out in the store, which thumbnails are
 * made, the caps that protect the process from hostile files, and the JPEG quality. The CLI flags, the env
 * variables and the Worker's vars all end up here.
 */
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { zodIssues } from "../model/issues.ts";

export const IMAGE_FORMATS = ["FLAT", "ALL", "THUMBS"] as const;

/**
 * `FLAT`: one file at the root, the thumbnail when a size is set, else the original. `ALL`: the original under
 * `full/` and every thumbnail under `thumbs/<name>/`. `THUMBS`: the thumbnails only.
 */
export const imageFormatSchema = z.enum(IMAGE_FORMATS, { error: `must be one of ${IMAGE_FORMATS.join(", ")}` });
export type ImageFormat = z.infer<typeof imageFormatSchema>;

/** A thumbnail name is a folder name in the store (`thumbs/<name>/`), so it stays a plain word. */
export const thumbNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, "must hold only letters, digits, _ and - (it names the folder thumbs/<name>/)")
  .max(64, "must be at most 64 characters")
  // Assigning it to an object would set the object's prototype instead of adding a size.
  .refine((name) => name !== "__proto__", "must not be __proto__");

const thumbSideSchema = z
  .number({ error: "must be a number" })
  .int("must be an integer")
  .positive("must be positive")
  .max(16_384, "must be at most 16384 (a thumbnail, not a poster)");

/** `[width, height]`: the box the thumbnail fits inside. */
export const thumbSizeSchema = z.tuple([thumbSideSchema, thumbSideSchema], { error: "must be [width, height]" });

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_PIXELS = 40_000_000;
export const DEFAULT_JPEG_QUALITY = 85;

export const imageSettingsSchema = z
  .strictObject({
    /** Store layout; default `FLAT`. */
    format: imageFormatSchema.default("FLAT"),
    /** Thumbnail boxes by name, e.g. `{ small: [170, 170] }`; default none (the original is kept, as JPEG). */
    thumbs: z.record(thumbNameSchema, thumbSizeSchema).default({}),
    /** Larger downloads are refused; default 10 MiB. */
    maxBytes: z.number().int("must be an integer").positive("must be positive").default(DEFAULT_MAX_BYTES),
    /**
     * Images whose header declares more pixels are refused before decoding; default 40,000,000. This bounds the
     * decoder's memory: about 13.5 bytes per pixel at peak (a 12 MP image takes photon's wasm memory to 160 MB,
     * and wasm memory is never given back), so a Worker, with 128 MB per isolate, needs about 5,000,000.
     */
    maxPixels: z.number().int("must be an integer").positive("must be positive").default(DEFAULT_MAX_PIXELS),
    /** Quality of every JPEG written, 1–100; default 85. */
    jpegQuality: z
      .number()
      .int("must be an integer")
      .min(1, "must be between 1 and 100")
      .max(100, "must be between 1 and 100")
      .default(DEFAULT_JPEG_QUALITY),
  })
  .superRefine((settings, ctx) => {
    const names = Object.keys(settings.thumbs);
    if (settings.format === "FLAT" && names.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["thumbs"],
        message: `format FLAT keeps one file per image, so it allows at most one thumbnail size (got ${names.length}: ${names.join(", ")}); use ALL or THUMBS for several`,
      });
    }
    if (settings.format === "THUMBS" && names.length === 0) {
      ctx.addIssue({ code: "custom", path: ["thumbs"], message: "format THUMBS stores thumbnails only, so it needs at least one thumbnail size" });
    }
  });

export type ImageSettings = z.infer<typeof imageSettingsSchema>;
export type ImageSettingsInput = z.input<typeof imageSettingsSchema>;
export type ThumbSizes = ImageSettings["thumbs"];

export const DEFAULT_IMAGE_SETTINGS: ImageSettings = imageSettingsSchema.parse({});

/** Parses and checks settings; throws ValidationError naming each bad field (`thumbs`, `jpegQuality`…). */
export function parseImageSettings(input: unknown): ImageSettings {
  const parsed = imageSettingsSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error.issues));
  return parsed.data;
}

/**
 * `"small=170x170,large=600x400"` (the `--thumbs` flag and `DSCRAPER_THUMBS`) → `{ small: [170, 170], large:
 * [600, 400] }`; an empty string is no thumbnails. Throws ValidationError at path `thumbs` quoting the bad part.
 */
export function parseThumbs(text: string): ThumbSizes {
  const thumbs: ThumbSizes = {};
  if (text.trim() === "") return thumbs;
  function fail(part: string, why: string): never {
    throw new ValidationError([{ path: "thumbs", message: `"${part}": ${why}` }]);
  }
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (part === "") fail(raw, "empty size between commas (expected NAME=WIDTHxHEIGHT, e.g. small=170x170)");
    const m = /^([^=]*)=\s*(\d+)\s*[xX×]\s*(\d+)$/.exec(part);
    if (!m) fail(part, "expected NAME=WIDTHxHEIGHT, e.g. small=170x170");
    const name = (m[1] ?? "").trim();
    if (name === "") fail(part, "the name before = is missing");
    const nameCheck = thumbNameSchema.safeParse(name);
    if (!nameCheck.success) fail(part, `name ${nameCheck.error.issues[0]?.message}`);
    if (Object.hasOwn(thumbs, name)) fail(part, `the name "${name}" is given twice`);
    const size = thumbSizeSchema.safeParse([Number(m[2]), Number(m[3])]);
    if (!size.success) {
      const issue = size.error.issues[0];
      fail(part, `${issue?.path[0] === 1 ? "height" : "width"} ${issue?.message}`);
    }
    thumbs[name] = size.data;
  }
  return thumbs;
}
