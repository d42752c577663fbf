/**
 * @module
 * What one run may change without changing the definition (CLI flags, the API's crawl body), as DDS's
 * run-time parameters: limits, the page window, the follow depth and the start URL.
 */
import { z } from "zod";
import { httpUrlSchema } from "./common.ts";

const positiveInt = z.number().int("must be an integer").positive("must be positive");

export const runOptionsSchema = z.strictObject({
  max_items_read: positiveInt.optional(),
  max_items_save: positiveInt.optional(),
  /** At most this many main and follow pages. */
  max_pages_read: positiveInt.optional(),
  /** First and last page value of the generated page list (RANGE_FUNCT / FREE_LIST), inclusive. */
  start_page: z.union([z.string(), z.number()]).optional(),
  end_page: z.union([z.string(), z.number()]).optional(),
  num_pages_follow: z.number().int("must be an integer").nonnegative("must not be negative").optional(),
  /** Start from this URL instead of the source's. */
  url: httpUrlSchema.optional(),
  /** Read and report only: no items, images or runtimes are written. */
  dry_run: z.boolean().default(false),
});

export type RunOptions = z.infer<typeof runOptionsSchema>;
