/**
 * @module
 * A checker (DDS `Checker`): how to tell that an item's detail page is gone.
 */
import { z } from "zod";
import { httpUrlSchema, nameSchema } from "./common.ts";

export const checkerTypeSchema = z.enum(["404", "404_OR_X_PATH"]);

export const checkerSchema = z.strictObject({
  /** The DETAIL_PAGE_URL attr whose URL is checked. */
  attr: nameSchema,
  checker_type: checkerTypeSchema.default("404"),
  checker_x_path: z.string().default(""),
  /** Empty: any match of `checker_x_path` means the item is gone; else the first match must equal this. */
  checker_x_path_result: z.string().default(""),
  /** A URL known to answer like a deleted item, for `checker-test`. */
  checker_ref_url: z.union([z.literal(""), httpUrlSchema]).default(""),
  comments: z.string().default(""),
});

export type Checker = z.infer<typeof checkerSchema>;
