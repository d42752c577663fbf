/**
 * @module
 * What a binary does with the jobs table when it starts (SPEC.md §4: jobs live in the database, so a restart
 * loses nothing): the running jobs of a process that is gone are marked failed with the reason, at once rather
 * than when their lease runs out, so that their sources take new crawls; the queued jobs go back on the queue.
 * Which process is gone is the platform's question (`isGone`); a job whose runner it cannot judge (another host,
 * no runner recorded) is left to its lease.
 */
import type { Database } from "../db/connect.ts";
import { failAbandonedRun, queuedJobIds, runningJobs } from "../db/jobs.ts";
import type { Clock, JobQueue } from "../ports.ts";

export interface Recovered {
  /** Running jobs of a dead process, now failed. */
  failed: number[];
  /** Queued jobs handed to the queue again. */
  requeued: number[];
}

export async function recoverJobs(database: Database, queue: JobQueue, clock: Clock, isGone: (runner: string) => string | undefined): Promise<Recovered> {
  const failed: number[] = [];
  for (const run of await runningJobs(database)) {
    const why = run.runner === null ? undefined : isGone(run.runner);
    if (why === undefined) continue;
    if (await failAbandonedRun(database, run, `interrupted: ${why} before the job ended`, clock.now())) failed.push(run.id);
  }
  const requeued = await queuedJobIds(database);
  for (const id of requeued) await queue.enqueue(id);
  return { failed, requeued };
}
