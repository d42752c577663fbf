/**
 * @module
 * The job webhook: when a job ends (succeeded, failed or cancelled), its scraper's `webhook_url`, or else the
 * global one (`--webhook`, `DSCRAPER_WEBHOOK_URL`), gets one JSON POST:
 *
 *   {"event": "job.finished", "job": {…the job shape of GET /api/jobs/:id…}, "scraper": "name", "sent_at": "…"}
 *
 * With a secret (`DSCRAPER_WEBHOOK_SECRET`) it is signed: `X-Dscraper-Signature: sha256=<hex>`, the HMAC-SHA256 of
 * the raw body under the secret, so a receiver can tell it came from us. Retried with doubling waits when the hook
 * gives no answer, 408, 429 or 5xx (the same bytes each time: the same signature); the job never waits for it.
 *
 * Both platforms deliver through the same three parts: the body built once ({@link prepareJobWebhook}), one try
 * ({@link tryJobWebhook}) and the waits between tries ({@link nextTryDelayMs}). The binary loops over them in its
 * process ({@link sendJobWebhook}); the Worker makes one try per queue delivery and lets the queue wait
 * (worker/queue/webhook.ts).
 */
import { postWebhook, WebhookError, parseWebhookUrl, type WebhookFetch } from "../check/webhook.ts";
import type { Database } from "../db/connect.ts";
import { jobScraper, jobView } from "../db/job-list.ts";
import type { JobRow } from "../db/jobs.ts";
import type { LogLevel } from "../model/enums.ts";
import type { Clock } from "../ports.ts";
import { jobJson } from "./job-json.ts";
import type { Sleep } from "./lifecycle.ts";
import type { LogSink } from "./log.ts";

export const SIGNATURE_HEADER = "X-Dscraper-Signature";
export const EVENT_HEADER = "X-Dscraper-Event";
export const JOB_FINISHED = "job.finished";
/** Tries in all, unless the settings say otherwise. */
export const WEBHOOK_TRIES = 5;
/** The wait before the second try; each later wait doubles it (1, 2, 4, 8 s). */
export const WEBHOOK_BACKOFF_MS = 1000;

/** How often a delivery is tried, and how long it waits in between. */
export interface RetryPolicy {
  /** Tries in all (default {@link WEBHOOK_TRIES})… */
  attempts?: number;
  /** …waiting this long before the second, twice that before the third, and so on (default {@link WEBHOOK_BACKOFF_MS}). */
  backoffMs?: number;
}

export interface JobWebhookSettings extends RetryPolicy {
  /** Used for the jobs of scrapers without a `webhook_url` of their own. */
  url?: string;
  /** Signs every delivery when set. */
  secret?: string;
  /** Per try (default 10000 ms). */
  timeoutMs?: number;
}

export interface JobWebhookDeps {
  database: Database;
  clock: Clock;
  /** Between tries; resolves early when the signal aborts (the process stops: no more tries). */
  sleep: Sleep;
  settings: JobWebhookSettings;
  fetch?: WebhookFetch;
  /** Where delivery failures are said (with the job's ids). */
  sink: LogSink;
}

export type WebhookDelivery = { sent: false; reason: "no webhook" } | { sent: true; attempts: number; url: string } | { sent: false; attempts: number; url: string; error: string };

/** A finished job's webhook, ready to send: where, and the exact bytes every try sends. */
export interface PreparedWebhook {
  url: string;
  body: string;
}

/** One try: delivered, or why not and whether another try may do better. */
export type WebhookTry = { ok: true } | { ok: false; retryable: boolean; error: string };

/** `sha256=<hex>`: HMAC-SHA256 of `body` under `secret` (Web Crypto, so the Worker signs the same way). */
export async function webhookSignature(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Tries in all under `policy`. */
export function webhookTries(policy: RetryPolicy = {}): number {
  return Math.max(1, policy.attempts ?? WEBHOOK_TRIES);
}

/** The wait before the next try once `tried` tries have failed; undefined when no try is left. */
export function nextTryDelayMs(tried: number, policy: RetryPolicy = {}): number | undefined {
  if (tried >= webhookTries(policy)) return undefined;
  return (policy.backoffMs ?? WEBHOOK_BACKOFF_MS) * 2 ** Math.max(0, tried - 1);
}

/**
 * The webhook of a finished job: the URL that applies (the scraper's own, else `globalUrl`) and the body, built
 * once. Undefined when no URL applies, found with one lookup (the scraper) before the job's view is read.
 */
export async function prepareJobWebhook(database: Database, job: JobRow, globalUrl: string | undefined, now: Date): Promise<PreparedWebhook | undefined> {
  const scraper = await jobScraper(database, job);
  const url = scraper?.webhookUrl ?? globalUrl;
  if (url === undefined) return undefined;
  const view = await jobView(database, job.id);
  const body = JSON.stringify({ event: JOB_FINISHED, job: jobJson(view ?? { ...job, source: null }), scraper: scraper?.name ?? null, sent_at: now.toISOString() });
  return { url, body };
}

/** Statuses worth another try: the hook may answer later. */
function retryable(e: unknown): boolean {
  if (!(e instanceof WebhookError)) return false;
  return e.status === undefined || e.status === 408 || e.status === 429 || e.status >= 500;
}

/** One POST of a prepared webhook, signed when there is a secret; never throws. */
export async function tryJobWebhook(hook: PreparedWebhook, secret: string | undefined, options: { fetch?: WebhookFetch; timeoutMs?: number } = {}): Promise<WebhookTry> {
  try {
    const headers: Record<string, string> = { [EVENT_HEADER]: JOB_FINISHED };
    if (secret) headers[SIGNATURE_HEADER] = await webhookSignature(secret, hook.body);
    await postWebhook(parseWebhookUrl(hook.url, "webhook"), hook.body, headers, options);
    return { ok: true };
  } catch (e) {
    return { ok: false, retryable: retryable(e), error: e instanceof Error ? e.message : String(e) };
  }
}

/** What is said when a job's webhook is not going to be tried again. */
export function undeliveredMessage(tries: number, error: string): string {
  return `job webhook not delivered${tries > 1 ? ` after ${tries} tries` : ""}: ${error}`;
}

/** What is said when a job's webhook is going to be tried again. */
export function retryMessage(error: string, waitMs: number, tried: number, policy: RetryPolicy = {}): string {
  return `job webhook: ${error}; trying again in ${waitMs} ms (try ${tried + 1} of ${webhookTries(policy)})`;
}

/** Delivers the webhook of a finished job, its tries in this process; never throws (a failure is logged and returned). */
export async function sendJobWebhook(deps: JobWebhookDeps, job: JobRow, signal: AbortSignal): Promise<WebhookDelivery> {
  const say = (level: LogLevel, msg: string) =>
    deps.sink({ time: deps.clock.now().toISOString(), level, msg, job_id: job.id, source_id: job.source_id, scraper_id: job.scraper_id });
  const { settings } = deps;
  const options = { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}) };
  let hook: PreparedWebhook | undefined;
  let attempts = 0;
  let error: string;
  try {
    hook = await prepareJobWebhook(deps.database, job, settings.url, deps.clock.now());
    if (hook === undefined) return { sent: false, reason: "no webhook" };
    for (;;) {
      attempts++;
      const tried = await tryJobWebhook(hook, settings.secret, options);
      if (tried.ok) return { sent: true, attempts, url: hook.url };
      error = tried.error;
      const wait = tried.retryable && !signal.aborted ? nextTryDelayMs(attempts, settings) : undefined;
      if (wait === undefined) break;
      say("WARNING", retryMessage(error, wait, attempts, settings));
      await deps.sleep(wait, signal);
      if (signal.aborted) break;
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  say("ERROR", undeliveredMessage(attempts, error));
  return { sent: false, attempts, url: hook?.url ?? "", error };
}
