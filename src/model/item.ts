/**
 * @module
 * A stored item as users and scripts see it (INTERFACE.md "Item shapes"): `items --format jsonl`, the CSV export
 * and `GET /api/items` give this shape. Definitions refer to each other by name, so `class` and `source` are names;
 * times are ISO 8601 UTC.
 */
import { z } from "zod";

export const itemSchema = z.strictObject({
  id: z.number().int().positive(),
  class: z.string(),
  source: z.string(),
  /** The first DETAIL_PAGE_URL value, if any. */
  url: z.string().nullable(),
  /** The saved attrs' values by attr name (a `many` attr's as a list; an image attr's as its stored file name). */
  data: z.record(z.string(), z.unknown()),
  /** Store keys of the item's image files. */
  images: z.array(z.string()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export type Item = z.infer<typeof itemSchema>;
