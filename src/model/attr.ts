/**
 * @module
 * An attribute of a scraped object class (DDS `ScrapedObjAttr`).
 */
import { z } from "zod";
import { attrNameSchema } from "./common.ts";

export const ATTR_TYPES = {
  B: "BASE",
  S: "STANDARD",
  T: "STANDARD_UPDATE",
  U: "DETAIL_PAGE_URL",
  I: "IMAGE",
} as const;

export const attrTypeSchema = z.enum(["B", "S", "T", "U", "I"]);
export type AttrType = z.infer<typeof attrTypeSchema>;

export const attrSchema = z.strictObject({
  name: attrNameSchema,
  order: z.number().int("must be an integer").default(100),
  attr_type: attrTypeSchema,
  id_field: z.boolean().default(false),
  save_to_db: z.boolean().default(true),
  /** Keep every match as an array instead of the first one. */
  many: z.boolean().default(false),
});

export type Attr = z.infer<typeof attrSchema>;
