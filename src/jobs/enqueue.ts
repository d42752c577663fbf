/**
 * @module
 * Crawls and checks asked for by hand over the API (`POST /api/sources/:id/crawl`, `POST /api/items/:id/check`):
 * refused at once, with the reason, when they cannot run (no such source or item: NotFoundError; a PAUSED or
 * INACTIVE scraper, or a run of that source or item going on: ConflictError; an image store that cannot be
 * written: UnavailableError); otherwise queued as a job and handed to the queue, which runs it in the background.
 */
import type { Database } from "../db/connect.ts";
import { UnavailableError } from "../errors.ts";
import { ImageStoreError } from "../images/errors.ts";
import type { RunOptions } from "../model/run-options.ts";
import type { BlobStore, Clock, JobQueue } from "../ports.ts";
import { checkTarget } from "./check-job.ts";
import { refuseCrawl, refuseUnwritableImages } from "./crawl-job.ts";
import { storedDefinitions } from "./definitions.ts";
import { queueJob, type JobRow } from "./lifecycle.ts";

export interface EnqueueDeps {
  database: Database;
  queue: JobQueue;
  clock: Clock;
  /** Checked for writes before a crawl that would store images is queued. */
  images?: BlobStore;
}

/** Queues a crawl of source `ref` (id or name) with the run-time overrides `options`. */
export async function enqueueCrawl(deps: EnqueueDeps, ref: string | number, options: RunOptions): Promise<JobRow> {
  const defs = await storedDefinitions(deps.database, ref);
  refuseCrawl(defs, options, false);
  try {
    await refuseUnwritableImages(deps.images, defs, options);
  } catch (e) {
    if (e instanceof ImageStoreError) throw new UnavailableError(e.message, { cause: e });
    throw e;
  }
  const job = await queueJob(
    deps.database,
    { kind: "crawl", source_id: defs.sourceId, scraper_id: defs.scraperId, dry_run: options.dry_run, update_schedule: false, params: { ...options } },
    deps.clock.now(),
  );
  await deps.queue.enqueue(job.id);
  return job;
}

/** Queues a check of item `itemId` (a dry run reports what would happen and changes nothing). */
export async function enqueueCheck(deps: EnqueueDeps, itemId: number, dryRun: boolean): Promise<JobRow> {
  const target = await checkTarget(deps, itemId, false);
  const job = await queueJob(
    deps.database,
    { kind: "check", item_id: itemId, source_id: target.sourceId, scraper_id: target.scraperId, dry_run: dryRun, update_schedule: false },
    deps.clock.now(),
  );
  await deps.queue.enqueue(job.id);
  return job;
}
