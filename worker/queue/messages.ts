/**
 * @module
 * What travels on the jobs queue. Messages are small — ids, never pages or items: the work they name is in the
 * database (a job, a step of a crawl run), so a message delivered twice, late or out of order finds the truth
 * there and does nothing it should not. The one exception is a job's webhook, which carries its body (a job's
 * JSON, a few KB at most against the queue's 128 KB): built once when the job ended, so that every try sends the
 * same bytes even when the job's row moves on (a cancelled crawl's last pages still add their counts).
 */
import { z } from "zod";
import { pipelineCountsSchema } from "../../src/model/job-stats.ts";

const id = z.number().int().positive();

export const messageSchema = z.discriminatedUnion("type", [
  /** Run a queued job: a crawl is claimed and planned, a check runs at once. */
  z.strictObject({ type: z.literal("job"), job: id }),
  /** Run one page of a crawl. */
  z.strictObject({
    type: z.literal("step"),
    job: id,
    step: id,
    /** The lease token of the invocation that handed this step on (it may be taken over at once). */
    carried: z.string().min(1).optional(),
    /** Where the storing of the page's items stopped: items done, and what they counted. */
    resume: z.strictObject({ done: z.number().int().nonnegative(), counts: pipelineCountsSchema }).optional(),
  }),
  /** Send the pending steps planned by step `parent` (null: the main pages) after step `after`. */
  z.strictObject({ type: z.literal("send"), job: id, parent: id.nullable(), after: z.number().int().nonnegative() }),
  /** A crawl whose last step is done: end its job. */
  z.strictObject({ type: z.literal("finish"), job: id }),
  /** Deliver job `job`'s webhook, one try per delivery (`message.attempts` is the try's number). */
  z.strictObject({
    type: z.literal("webhook"),
    job: id,
    /** The job's source, for the log lines. */
    source: id.nullable(),
    /** When the job ended (the body's `sent_at`). */
    sent_at: z.iso.datetime(),
    /** The hook (checked where it was configured; a try refuses one that is not http(s) for good). */
    url: z.string().min(1),
    /** The exact bytes to POST (and sign). */
    body: z.string().min(1),
  }),
]);

export type Message = z.infer<typeof messageSchema>;
export type StepMessage = Extract<Message, { type: "step" }>;
export type WebhookMessage = Extract<Message, { type: "webhook" }>;

/** A message body read from the queue; a ValidationError-like message naming what is wrong. */
export function parseMessage(body: unknown): { ok: true; message: Message } | { ok: false; error: string } {
  const parsed = messageSchema.safeParse(body);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`).join("; ") };
}

/** What becomes of a message once handled. */
export type Outcome =
  /** Done (or nothing to do). */
  | { kind: "ack" }
  /** Failed: delivered again after the delay, counting an attempt (then the dead-letter queue). */
  | { kind: "retry"; delaySeconds: number; error: string }
  /** Not done in this invocation (budget, busy host): sent again as a new message, this one acknowledged. */
  | { kind: "carry"; message: Message; delaySeconds: number };

export const ack: Outcome = { kind: "ack" };

export function carry(message: Message, delayMs = 0): Outcome {
  return { kind: "carry", message, delaySeconds: Math.ceil(delayMs / 1000) };
}
