/**
 * @module
 * The Worker's JobQueue for the API (`POST /api/sources/:id/crawl`, `POST /api/items/:id/check`): a queued job
 * becomes one `{type: "job", job}` message on the jobs queue, which the queue consumer runs as the cron's jobs are
 * run (a crawl fans out into page messages, a check runs whole). Its lease is renewed first, as the cron does: a
 * queue backlog can keep the message waiting for minutes, and the next scheduler pass must not take the job for
 * dead meanwhile. A message the queue refuses ends the job failed at once, saying so, rather than leaving it
 * queued with nothing to run it.
 *
 * A running job cancelled (`POST /api/jobs/:id/cancel`, the admin page) gets its webhook from here: no run of the
 * Worker's notices a cancel, its pages just stop.
 */
import type { Queue } from "@cloudflare/workers-types";
import type { Database } from "../src/db/connect.ts";
import { jobById, renewQueuedLeases, type JobRow } from "../src/db/jobs.ts";
import { abandonJob } from "../src/db/runs.ts";
import { errorMessage, UnavailableError } from "../src/errors.ts";
import type { Clock, JobQueue } from "../src/ports.ts";
import { logLine, RUN_ALIVE_MS } from "./queue/invocation.ts";
import type { Message } from "./queue/messages.ts";
import { jobWebhookMessage } from "./queue/webhook.ts";
import { counted } from "./request-scope.ts";
import type { WorkerSettings } from "./settings.ts";

export class WorkerJobQueue implements JobQueue {
  constructor(
    private readonly queue: Queue<unknown>,
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly settings: WorkerSettings,
  ) {}

  async enqueue(jobId: number): Promise<void> {
    const now = this.clock.now();
    await renewQueuedLeases(this.database, [jobId], new Date(now.getTime() + RUN_ALIVE_MS));
    const message: Message = { type: "job", job: jobId };
    try {
      await counted("queue", () => this.queue.send(message));
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      await abandonJob(this.database, jobId, `the jobs queue did not take the job: ${reason}`, this.clock.now());
      throw new UnavailableError(`job ${jobId}: the jobs queue (JOBS) did not take it, so it was marked failed: ${reason}`, { cause: e });
    }
  }

  /**
   * Sends the cancelled job's webhook message. If that fails the cancel stands and the webhook is lost: said in an
   * ERROR line naming the job (nothing would send it later).
   */
  async cancelled(jobId: number): Promise<void> {
    let job: JobRow | undefined;
    try {
      job = await jobById(this.database, jobId);
      const message = job && (await jobWebhookMessage(this.database, this.settings, job, this.clock.now()));
      if (message) await counted("queue", () => this.queue.send(message));
    } catch (e) {
      logLine("ERROR", `job webhook not sent: ${errorMessage(e)}`, { job_id: jobId, source_id: job?.source_id ?? null });
    }
  }

  /** A Cloudflare Queue cannot be probed without sending a message: its binding is what is checked. */
  async check(): Promise<Record<string, unknown>> {
    return { probed: false };
  }
}
