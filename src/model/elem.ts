/**
 * @module
 * A scraper elem (DDS `ScraperElem`): where one attr's value is found and how it is processed.
 */
import { z } from "zod";
import { nameSchema } from "./common.ts";

export const elemSchema = z.strictObject({
  attr: nameSchema,
  /** XPath (HTML/XML pages) or JSONPath (JSON pages); may be empty when the `static` processor gives the value. */
  x_path: z.string().default(""),
  reg_exp: z.string().default(""),
  page_type: z
    .string()
    .regex(/^(?:MP|DP(?:[1-9]|1\d|2[0-5]))$/, "must be MP or DP1 … DP25 (follow pages use the MP elems)")
    .default("MP"),
  use_default_procs: z.boolean().default(true),
  processors: z.array(z.string()).default([]),
  proc_ctxt: z.record(z.string(), z.string()).default({}),
  mandatory: z.boolean().default(true),
});

export type Elem = z.infer<typeof elemSchema>;
