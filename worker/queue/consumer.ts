/**
 * @module
 * The queue handler: one batch, one message at a time (pages are read one at a time per isolate, so memory holds
 * one page and its items), each within what is left of the invocation's budget. Messages the budget cannot take
 * are handed on — sent again as new messages — never dropped. At the end, with the budget's reserve: the host
 * releases still pending are written, the messages to send go in at most two `sendBatch` calls, every message
 * is acknowledged or retried, and what the invocation spent is recorded (`worker_invocations`).
 *
 * Acknowledgements come after the sends: if sending fails, every message of the batch is retried, and each finds
 * its work committed and sends again only what is still pending.
 */
import type { Message as QueueMessage, MessageBatch } from "@cloudflare/workers-types";
import { runStatements } from "../../src/db/host-slots.ts";
import { recordInvocation } from "../../src/db/invocations.ts";
import { BudgetSpent } from "../budget.ts";
import type { Env } from "../env.ts";
import type { WorkerSettings } from "../settings.ts";
import { runStep, STEP_MIN } from "./crawl-step.ts";
import { deadLetter } from "./dead-letter.ts";
import { createInvocation, type Invocation } from "./invocation.ts";
import { ack, carry, parseMessage, type Message, type Outcome } from "./messages.ts";
import { finishCrawl } from "./run-end.ts";
import { runJob, sendPending } from "./start.ts";
import { deliverWebhook, WEBHOOK_TRY_COST } from "./webhook.ts";

/** The queue's limit on one `sendBatch`: 100 messages. */
const SEND_BATCH = 100;

export async function consume(batch: MessageBatch<unknown>, vars: Env, settings: WorkerSettings): Promise<void> {
  // wrangler's local queues hand over empty batches now and then: nothing to do, nothing spent.
  if (batch.messages.length === 0) return;
  const started = Date.now();
  const inv = createInvocation(vars, settings);
  // Each message of the batch may be handed on, and each may end its crawl with a `finish` message or end its job
  // with a `webhook` message.
  inv.keptRoom = 3 * batch.messages.length;
  const dead = batch.queue === settings.deadLetterQueue;
  const outcomes: [QueueMessage<unknown>, Outcome][] = [];
  for (const msg of batch.messages) {
    const parsed = parseMessage(msg.body);
    if (!parsed.ok) {
      // Nothing can run it, now or later: said once, loudly, and dropped.
      inv.log("ERROR", `queue message ${msg.id} is not a dscraper message, dropped: ${parsed.error}`, { queue: batch.queue });
      outcomes.push([msg, ack]);
      continue;
    }
    outcomes.push([msg, handedOn(inv, await handle(inv, parsed.message, msg.attempts, dead), dead)]);
  }
  await end(inv, vars, batch.queue, outcomes, started);
}

async function handle(inv: Invocation, message: Message, attempts: number, dead: boolean): Promise<Outcome> {
  if (!inv.budget.affords(message.type === "webhook" ? WEBHOOK_TRY_COST : STEP_MIN)) return carry(message);
  try {
    if (dead) return await deadLetter(inv, message, attempts);
    switch (message.type) {
      case "webhook":
        return await deliverWebhook(inv, message, attempts);
      case "job":
        return await runJob(inv, message);
      case "step":
        return await runStep(inv, message, attempts);
      case "send":
        return await sendPending(inv, message);
      case "finish":
        await finishCrawl(inv, message.job);
        return ack;
    }
  } catch (e) {
    // The budget ran out where no step expected it: the work is handed on as it is (every write is conditional).
    if (e instanceof BudgetSpent) return carry(message);
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    inv.log("ERROR", `message failed, to be retried: ${error}`, { message, attempt: attempts });
    return { kind: "retry", delaySeconds: Math.min(300, 2 ** Math.max(0, attempts - 1)), error };
  }
}

/**
 * Counts a message handed on. The dead-letter queue hands nothing on to the jobs queue (that would run the failing
 * page again): it retries instead.
 */
function handedOn(inv: Invocation, outcome: Outcome, dead: boolean): Outcome {
  if (outcome.kind !== "carry") return outcome;
  inv.carried++;
  return dead ? { kind: "retry", delaySeconds: outcome.delaySeconds, error: "handed on" } : outcome;
}

async function end(inv: Invocation, vars: Env, queue: string, outcomes: [QueueMessage<unknown>, Outcome][], started: number): Promise<void> {
  inv.budget.close();
  const pending = inv.gate.takePending();
  if (pending.length > 0) {
    try {
      await runStatements(inv.database, pending);
    } catch (e) {
      // The lanes' leases run out by themselves.
      inv.log("WARNING", `host releases not written: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  for (const [, outcome] of outcomes) if (outcome.kind === "carry") inv.outbox.push({ body: outcome.message, ...(outcome.delaySeconds > 0 ? { delaySeconds: outcome.delaySeconds } : {}) });
  let sent = true;
  try {
    for (let i = 0; i < inv.outbox.length; i += SEND_BATCH) {
      const chunk = inv.outbox.slice(i, i + SEND_BATCH).map((m) => ({ body: m.body, ...(m.delaySeconds ? { delaySeconds: m.delaySeconds } : {}) }));
      await inv.budget.call("queue", () => vars.JOBS.sendBatch(chunk));
    }
  } catch (e) {
    sent = false;
    const error = e instanceof Error ? e.message : String(e);
    inv.log("ERROR", `could not send the invocation's ${inv.outbox.length} message(s); the batch is retried: ${error}`);
    // A job's end is not repeated by its batch's retry (the job has ended): its webhook is lost, said here.
    for (const { body } of inv.outbox) if (body.type === "webhook") inv.log("ERROR", `job webhook not sent: ${error}`, { job_id: body.job, source_id: body.source });
  }
  for (const [msg, outcome] of outcomes) {
    // A webhook's try owes nothing to the sends (and each retry counts a try): only a webhook handed on waits for them.
    if (!sent && (outcome.kind === "carry" || !isWebhook(msg.body))) msg.retry({ delaySeconds: 1 });
    else if (outcome.kind === "retry") msg.retry({ delaySeconds: outcome.delaySeconds });
    else msg.ack();
  }
  await record(inv, `queue:${queue}`, outcomes.length, started);
}

function isWebhook(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { type?: unknown }).type === "webhook";
}

/** Records what the invocation spent, this very write included. */
export async function record(inv: Invocation, handler: string, messages: number, started: number): Promise<void> {
  const { budget } = inv;
  const wall = Date.now() - started;
  try {
    budget.close();
    await recordInvocation(inv.database, {
      handler,
      started_at: new Date(started),
      wall_ms: wall,
      busy_ms: Math.round(budget.busyMs),
      messages,
      budget: budget.limit,
      subrequests: budget.used + 1,
      fetches: budget.counts.fetches,
      database: budget.counts.database + 1,
      storage: budget.counts.storage,
      queue: budget.counts.queue,
      carried: inv.carried,
      jobs: [...inv.jobs],
    });
  } catch (e) {
    inv.log("WARNING", `the invocation's spending was not recorded: ${e instanceof Error ? e.message : String(e)}`);
  }
  inv.log("INFO", "invocation done", { handler, messages, subrequests: budget.used, counts: budget.counts, wall_ms: wall, busy_ms: Math.round(budget.busyMs), carried: inv.carried });
}
