/**
 * @module
 * The admin's one door to queued work: a crawl of a source ("crawl now") and a cancel. These are what
 * `POST /api/sources/:id/crawl` and `POST /api/jobs/:id/cancel` do: refused at once with the reason when they
 * cannot run (ConflictError for a PAUSED or INACTIVE scraper or a run going on, NotFoundError for no such source,
 * UnavailableError for an image store that cannot be written), else queued as a job and handed to the queue
 * (`deps.queue`), which runs it in the background.
 *
 * MERGE NOTE: the job routes' branch (jobs-api) has this core function as `enqueueCrawl` in `src/jobs/enqueue.ts`,
 * with this signature. Once it is merged, this file becomes `export { enqueueCrawl } from "../../jobs/enqueue.ts";`
 * plus `cancel` (or jobs-api's own cancel), and nothing else changes.
 */
import type { Database } from "../../db/connect.ts";
import { UnavailableError } from "../../errors.ts";
import { ImageStoreError } from "../../images/errors.ts";
import { checkImageStore } from "../../images/store-check.ts";
import { refuseCrawl } from "../../jobs/crawl-job.ts";
import { storedDefinitions } from "../../jobs/definitions.ts";
import { cancelJob, queueJob, type JobRow } from "../../jobs/lifecycle.ts";
import type { RunOptions } from "../../model/run-options.ts";
import type { BlobStore, Clock, JobQueue } from "../../ports.ts";

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
  if (deps.images && !options.dry_run && defs.classBody.attrs.some((a) => a.attr_type === "I" && a.save_to_db)) {
    try {
      await checkImageStore(deps.images);
    } catch (e) {
      if (e instanceof ImageStoreError) throw new UnavailableError(e.message, { cause: e });
      throw e;
    }
  }
  const job = await queueJob(
    deps.database,
    { kind: "crawl", source_id: defs.sourceId, scraper_id: defs.scraperId, dry_run: options.dry_run, update_schedule: false, params: { ...options } },
    deps.clock.now(),
  );
  await deps.queue.enqueue(job.id);
  return job;
}

/** Asks job `id` to stop (a running one stops at its next heartbeat); undefined when it had already ended. */
export function cancel(deps: Pick<EnqueueDeps, "database" | "clock">, id: number): Promise<JobRow | undefined> {
  return cancelJob(deps.database, id, deps.clock.now());
}
