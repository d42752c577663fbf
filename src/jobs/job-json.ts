/**
 * @module
 * A job row in the public job shape (`model/job.ts`): what the API answers, `dscraper jobs --json` prints and the
 * webhook sends, from one place.
 */
import { jobView, type JobView } from "../db/job-list.ts";
import type { Database } from "../db/connect.ts";
import { NotFoundError } from "../errors.ts";
import type { Job } from "../model/job.ts";
import { crawlJobStats, jobStatsSchema } from "../model/job-stats.ts";
import { failedPages } from "../db/runs.ts";

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function jobJson(job: JobView): Job {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    source_id: job.source_id,
    source: job.source,
    scraper_id: job.scraper_id,
    item_id: job.item_id,
    dry_run: job.dry_run,
    update_schedule: job.update_schedule,
    params: job.params,
    // Parsed, not cast: rows written before a stats field existed get its default (pages_without_items).
    stats: jobStatsSchema.parse(job.stats),
    error: job.error,
    created_at: job.created_at.toISOString(),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    heartbeat_at: iso(job.heartbeat_at),
  };
}

/**
 * Job `id` in the public shape; NotFoundError when there is none. A crawl that counts failed pages lists those it
 * kept (the Worker's: each page that ended in the dead-letter queue, with its error), asked only then.
 */
export async function getJob(database: Database, id: number): Promise<Job> {
  const view = await jobView(database, id);
  if (!view) throw new NotFoundError(`no job with id ${id}`);
  const job = jobJson(view);
  if ((crawlJobStats(job.stats)?.pages.failed ?? 0) > 0) {
    const failed = await failedPages(database, id);
    if (failed.length > 0) job.failed_pages = failed;
  }
  return job;
}
