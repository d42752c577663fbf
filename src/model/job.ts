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
});

export type Job = z.infer<typeof jobSchema>;
