/**
 * @module
 * A clean-up request (`dscraper cleanup`, `POST /api/items/cleanup`): delete the items no crawl has seen for `days`
 * days, of one source or all, with their images and runtimes; a dry run only counts.
 */
import { z } from "zod";

export const cleanupRequestSchema = z.strictObject({
  days: z.number().int("must be a whole number of days").positive("must be at least 1"),
  /** A source's id or name; all sources when absent. */
  source: z.union([z.number().int().positive("must be a positive id"), z.string().min(1, "must not be empty")]).optional(),
  dry_run: z.boolean().default(false),
});

export type CleanupRequest = z.infer<typeof cleanupRequestSchema>;

export const cleanupReportSchema = z.strictObject({
  /** Items deleted (a dry run: that would be deleted). */
  items: z.number().int().nonnegative(),
  /** Image files deleted: those no remaining item uses. */
  images: z.number().int().nonnegative(),
  /** Checker runtimes deleted with their items. */
  runtimes: z.number().int().nonnegative(),
  /** Items last seen before this time were stale (ISO 8601 UTC). */
  before: z.iso.datetime(),
  /** The source's name, or null for all sources. */
  source: z.string().nullable(),
  dry_run: z.boolean(),
});

export type CleanupReport = z.infer<typeof cleanupReportSchema>;
