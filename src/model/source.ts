/**
 * @module
 * A source (DDS "reference object", e.g. one news website): where a scraper starts.
 */
import { z } from "zod";
import { httpUrlSchema, nameSchema } from "./common.ts";

export const sourceSchema = z.strictObject({
  name: nameSchema,
  url: httpUrlSchema,
  scraper: nameSchema,
  /** Inactive sources are never scheduled. */
  active: z.boolean().default(true),
  /** More start URLs read by the same scraper in the same run, after `url`. */
  urls: z.array(httpUrlSchema).default([]),
});

export type Source = z.infer<typeof sourceSchema>;
