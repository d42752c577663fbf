/**
 * @module
 * What a finished job says it did, by kind: the `jobs.stats` column holds one of these (a job that never ran, or
 * was refused before reading anything, holds the empty object). The API validates and returns them with these
 * schemas; the crawl, the pipeline and the checks fill them.
 */
import { z } from "zod";

const count = z.number().int().nonnegative();

/** Pages of one crawl, by what became of them. */
export const crawlPagesSchema = z.strictObject({
  main: count,
  follow: count,
  detail: count,
  /** Answered 304 to a conditional request: the page is as it was at the last run. */
  not_modified: count,
  failed: count,
  /** The same request again in this run (fetched once unless its page type sets `dont_filter`). */
  duplicate: count,
});

/** What the crawl read (the pipeline's counts come on top in {@link crawlJobStatsSchema}). */
export const crawlStatsSchema = z.strictObject({
  pages: crawlPagesSchema,
  items_read: count,
  /** Main pages on which the base XPath (or JSONPath) matched nothing: the first sign that a site changed. Jobs
   * stored before this count existed read as 0. */
  pages_without_items: count.default(0),
  /** Failures by kind: `http_404`, `network`, `timeout`, `content`, `robots`, `internal`… */
  errors: z.record(z.string(), count),
});

/** What the pipeline made of the items read. */
export const pipelineCountsSchema = z.strictObject({
  /** Items that passed the mandatory check. */
  valid: count,
  saved: count,
  updated: count,
  unchanged: count,
  /** Items not stored, by reason. */
  dropped: z.record(z.string(), count),
});

export const crawlJobStatsSchema = crawlStatsSchema.extend({ items: pipelineCountsSchema });

/** What one checker learnt from its answer (SPEC.md §6). */
export const checkOutcomeKindSchema = z.enum(["not_found", "gone", "alive", "unknown"]);

export const checkActionSchema = z.enum(["deleted", "would delete", "kept", "no checkers"]);

export const checkJobStatsSchema = z.strictObject({
  checks: z.array(z.strictObject({ attr: z.string(), url: z.string().nullable(), outcome: checkOutcomeKindSchema, detail: z.string() })),
  action: checkActionSchema,
  /** 404 answers in a row after this check. */
  num_404: count,
});

/** A job that has not run (queued), or ended before it read anything. */
export const noJobStatsSchema = z.record(z.string(), z.never());

export const jobStatsSchema = z.union([crawlJobStatsSchema, checkJobStatsSchema, noJobStatsSchema]);

export type CrawlPages = z.infer<typeof crawlPagesSchema>;
export type CrawlStats = z.infer<typeof crawlStatsSchema>;
export type PipelineCounts = z.infer<typeof pipelineCountsSchema>;
export type CrawlJobStats = z.infer<typeof crawlJobStatsSchema>;
export type CheckOutcomeKind = z.infer<typeof checkOutcomeKindSchema>;
export type CheckAction = z.infer<typeof checkActionSchema>;
export type CheckJobStats = z.infer<typeof checkJobStatsSchema>;
export type NoJobStats = z.infer<typeof noJobStatsSchema>;
export type JobStats = z.infer<typeof jobStatsSchema>;

/** A crawl's stats, or undefined when the job holds none (it never got to crawl). */
export function crawlJobStats(stats: JobStats): CrawlJobStats | undefined {
  return isCrawlJobStats(stats) ? stats : undefined;
}

/** A check's stats, or undefined when the job holds none. */
export function checkJobStats(stats: JobStats): CheckJobStats | undefined {
  return isCheckJobStats(stats) ? stats : undefined;
}

// The three shapes share no key, so one key tells them apart.
function isCrawlJobStats(stats: JobStats): stats is CrawlJobStats {
  return "items_read" in stats;
}

function isCheckJobStats(stats: JobStats): stats is CheckJobStats {
  return "checks" in stats;
}

export function emptyCrawlStats(): CrawlStats {
  return { pages: { main: 0, follow: 0, detail: 0, not_modified: 0, failed: 0, duplicate: 0 }, items_read: 0, pages_without_items: 0, errors: {} };
}

export function emptyPipelineCounts(): PipelineCounts {
  return { valid: 0, saved: 0, updated: 0, unchanged: 0, dropped: {} };
}
