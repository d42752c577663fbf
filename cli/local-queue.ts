/**
 * The binary's JobQueue: job ids waiting in memory for a small pool of in-process workers. The jobs table stays
 * the truth: a job still waiting here keeps renewing its lease, and one lost with the process is declared dead by
 * the next tick after its lease runs out, freeing its source.
 */
import type { Database } from "../src/db/connect.ts";
import { renewQueuedLeases } from "../src/db/jobs.ts";
import { HEARTBEAT_MS } from "../src/jobs/lifecycle.ts";
import type { Clock, JobQueue } from "../src/ports.ts";

export type JobRunner = (jobId: number, signal: AbortSignal) => Promise<void>;

export class LocalQueue implements JobQueue {
  private readonly waiting: number[] = [];
  private running = 0;
  private readonly stopping = new AbortController();
  private idleWaiters: (() => void)[] = [];
  private readonly lease: ReturnType<typeof setInterval>;

  constructor(
    private readonly workers: number,
    private readonly run: JobRunner,
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly onError: (jobId: number, error: unknown) => void,
  ) {
    this.lease = setInterval(() => void this.renewWaiting(), HEARTBEAT_MS);
  }

  async enqueue(jobId: number): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.waiting.push(jobId);
    this.pump();
  }

  /** Resolves when nothing waits and nothing runs. */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking jobs, asks the running ones to stop (they end cancelled) and waits for them. */
  async stop(reason: unknown): Promise<void> {
    this.stopping.abort(reason);
    this.waiting.length = 0;
    await this.idle();
    clearInterval(this.lease);
  }

  /** For /api/health: the pool takes work until it is stopped. */
  async check(): Promise<Record<string, unknown>> {
    if (this.stopping.signal.aborted) throw new Error("the job workers are stopping: no job is taken");
    return { workers: this.workers, waiting: this.waiting.length, running: this.running };
  }

  get size(): { waiting: number; running: number } {
    return { waiting: this.waiting.length, running: this.running };
  }

  private pump(): void {
    while (this.running < this.workers && this.waiting.length > 0 && !this.stopping.signal.aborted) {
      const id = this.waiting.shift()!;
      this.running++;
      this.run(id, this.stopping.signal)
        .catch((e: unknown) => this.onError(id, e))
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.waiting.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
    if (this.running === 0 && this.waiting.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async renewWaiting(): Promise<void> {
    if (this.waiting.length === 0) return;
    await renewQueuedLeases(this.database, this.waiting, this.clock.now()).catch(() => undefined);
  }
}
