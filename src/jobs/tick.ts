/**
 * @module
 * One scheduler pass (SPEC.md §7), the same in `dscraper tick`, in `serve`'s minute loop and in the Worker's Cron
 * Trigger: dead jobs are expired, then the due sources of ACTIVE scrapers and the due item checks are queued as
 * jobs, oldest first, within the per-tick caps. Anything already queued or running is left alone; the runtimes
 * move when the runs end.
 */
import type { Database } from "../db/connect.ts";
import { dueCheckers, dueSources, MAX_CHECKER_RUNS_PER_TICK, MAX_SPIDER_RUNS_PER_TICK } from "../db/runtimes.ts";
import { ConflictError } from "../errors.ts";
import type { Clock, JobQueue } from "../ports.ts";
import { expireDeadJobs, queueJob } from "./lifecycle.ts";

export interface TickCaps {
  /** max_spider_runs_per_tick */
  spiders: number;
  /** max_checker_runs_per_tick */
  checkers: number;
}

export const DEFAULT_TICK_CAPS: TickCaps = { spiders: MAX_SPIDER_RUNS_PER_TICK, checkers: MAX_CHECKER_RUNS_PER_TICK };

export interface TickResult {
  /** Jobs queued, by kind. */
  crawls: number[];
  checks: number[];
  /** Jobs found dead (their lease ran out) and marked failed. */
  expired: number;
}

export async function tick(database: Database, queue: JobQueue, clock: Clock, caps: TickCaps = DEFAULT_TICK_CAPS): Promise<TickResult> {
  const now = clock.now();
  const expired = await expireDeadJobs(database, now);
  const result: TickResult = { crawls: [], checks: [], expired };
  for (const due of await dueSources(database, now, caps.spiders)) {
    const id = await queued(() => queueJob(database, { kind: "crawl", source_id: due.sourceId, update_schedule: true, params: { dry_run: false } }, now));
    if (id !== undefined) {
      result.crawls.push(id);
      await queue.enqueue(id);
    }
  }
  for (const due of await dueCheckers(database, now, caps.checkers)) {
    const id = await queued(() => queueJob(database, { kind: "check", item_id: due.itemId, update_schedule: true }, now));
    if (id !== undefined) {
      result.checks.push(id);
      await queue.enqueue(id);
    }
  }
  return result;
}

/** A run started by someone else between the due query and now is not an error: that source is simply busy. */
async function queued(create: () => Promise<{ id: number }>): Promise<number | undefined> {
  try {
    return (await create()).id;
  } catch (e) {
    if (e instanceof ConflictError) return undefined;
    throw e;
  }
}
