/**
 * @module
 * The job webhook in the Worker, as the binary sends it (src/jobs/webhook.ts): when a job ends, a `webhook`
 * message goes on the jobs queue carrying the body built then, and its handler makes one try per delivery.
 * A try that may do better later (no answer, 408, 429, 5xx) is retried by the queue after 1, 2, 4 and 8 s
 * (`message.attempts` is the try's number); the fifth failure, or an answer another try would not change (other
 * 4xx), is logged as an ERROR and acknowledged. A webhook never reaches the dead-letter queue (5 tries fit the
 * consumer's `max_retries = 5`, and that queue's consumer acknowledges one anyway), so it never shows up as a
 * failed page of its job, and it never changes its job.
 *
 * Jobs whose webhook no URL applies to (no scraper `webhook_url`, no `DSCRAPER_WEBHOOK_URL`) send no message: the
 * scraper is looked up where the job ends, one round trip, before anything else is read.
 */
import type { WebhookFetch } from "../../src/check/webhook.ts";
import type { Database } from "../../src/db/connect.ts";
import type { JobRow } from "../../src/db/jobs.ts";
import { nextTryDelayMs, prepareJobWebhook, retryMessage, tryJobWebhook, undeliveredMessage } from "../../src/jobs/webhook.ts";
import type { Budget } from "../budget.ts";
import type { WorkerSettings } from "../settings.ts";
import type { Invocation } from "./invocation.ts";
import { ack, type Outcome, type WebhookMessage } from "./messages.ts";

/** Round trips a job's end spends on its webhook: the scraper's `webhook_url`, then the job's view. */
export const WEBHOOK_PREPARE_COST = 2;
/** Subrequests one try takes: the POST. */
export const WEBHOOK_TRY_COST = 1;

/** The webhook message of a job that has just ended; undefined when no webhook applies to it. */
export async function jobWebhookMessage(database: Database, settings: WorkerSettings, job: JobRow, now: Date): Promise<WebhookMessage | undefined> {
  const hook = await prepareJobWebhook(database, job, settings.webhook.url, now);
  if (hook === undefined) return undefined;
  return { type: "webhook", job: job.id, source: job.source_id, sent_at: now.toISOString(), url: hook.url, body: hook.body };
}

/**
 * Queues the webhook of a job this invocation has just ended, sent with the invocation's other messages. If that
 * send fails the batch is retried, but its messages find their job ended and do not end it again: the webhook is
 * lost, and the consumer says so in an ERROR line naming the job (worker/queue/consumer.ts).
 */
export async function queueJobWebhook(inv: Invocation, job: JobRow): Promise<void> {
  const message = await jobWebhookMessage(inv.database, inv.settings, job, inv.clock.now());
  if (message) inv.outbox.push({ body: message });
}

/** One try of a job's webhook: acknowledged when delivered or given up on, retried after the backoff otherwise. */
export async function deliverWebhook(inv: Invocation, message: WebhookMessage, attempts: number): Promise<Outcome> {
  inv.jobs.add(message.job);
  const ids = { job_id: message.job, source_id: message.source };
  const tried = await tryJobWebhook(message, inv.settings.webhook.secret, { fetch: countedFetch(inv.budget) });
  if (tried.ok) {
    inv.log("INFO", `job webhook delivered${attempts > 1 ? ` on try ${attempts}` : ""}`, ids);
    return ack;
  }
  const wait = tried.retryable ? nextTryDelayMs(attempts) : undefined;
  if (wait === undefined) {
    inv.log("ERROR", undeliveredMessage(attempts, tried.error), ids);
    return ack;
  }
  inv.log("WARNING", retryMessage(tried.error, wait, attempts), ids);
  return { kind: "retry", delaySeconds: Math.ceil(wait / 1000), error: tried.error };
}

/** The POST, counted against the invocation's budget (`fetch` called detached: workerd insists). */
function countedFetch(budget: Budget): WebhookFetch {
  return (input, init) => budget.call("fetches", () => fetch(input, init));
}
