/**
 * @module
 * A job as users and scripts see it (INTERFACE.md "HTTP API"): `GET /api/jobs/:id`, the 202 of a queued crawl or
 * check, `dscraper jobs --json` and the job webhook give this shape. Times are ISO 8601 UTC; `stats` is one of the
 * job stats shapes (`job-stats.ts`): empty while queued, the run's counts so far while it runs, final after.
 */
import { z } from "zod";
import { jobKindSchema, jobStatusSchema } from "./enums.ts";
import { jobStatsSchema } from "./job-stats.ts";

const id = z.number().int().positive();

/**
 * A page of a crawl that failed for good: its step kind (`MP` main, `FP` follow, `DP1`… detail), URL, last error
 * and how often it was tried. Only the Worker's crawls keep them (a page ends in the dead-letter queue); the
 * binary's crawl counts its failed pages in `stats.pages.failed` and logs each one.
 */
export const failedPageSchema = z.object({ kind: z.string(), url: z.string(), error: z.string(), attempts: z.number().int().nonnegative() });

export const jobSchema = z.strictObject({
  id,
  kind: jobKindSchema,
  status: jobStatusSchema,
  /** The source crawled, or the source of the item checked (null once it was deleted). */
  source_id: id.nullable(),
  /** Its name, as definitions refer to each other. */
  source: z.string().nullable(),
  scraper_id: id.nullable(),
  /** The item checked (check jobs). */
  item_id: id.nullable(),
  dry_run: z.boolean(),
  /** Started by the scheduler (or asked to): the run moves its source's or item's next run time. */
  update_schedule: z.boolean(),
  /** The run-time overrides it was queued with (a crawl's `max_items_read`, `url`, …). */
  params: z.record(z.string(), z.unknown()),
  stats: jobStatsSchema,
  /** Why it failed or was cancelled. */
  error: z.string().nullable(),
  created_at: z.iso.datetime(),
  started_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
  /** The run's last sign of life (its stats are as of then). */
  heartbeat_at: z.iso.datetime().nullable(),
  /** `GET /api/jobs/:id` of a crawl with pages that failed for good, when they are kept (the Worker's crawls). */
  failed_pages: z.array(failedPageSchema).optional(),
});

export type Job = z.infer<typeof jobSchema>;
export type FailedPage = z.infer<typeof failedPageSchema>;
