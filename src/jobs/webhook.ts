/**
 * @module
 * The job webhook: when a job this process ran ends (succeeded, failed or cancelled), its scraper's `webhook_url`,
 * or else the global one (`--webhook`, `DSCRAPER_WEBHOOK_URL`), gets one JSON POST:
 *
 *   {"event": "job.finished", "job": {…the job shape of GET /api/jobs/:id…}, "scraper": "name", "sent_at": "…"}
 *
 * With a secret (`DSCRAPER_WEBHOOK_SECRET`) it is signed: `X-Dscraper-Signature: sha256=<hex>`, the HMAC-SHA256 of
 * the raw body under the secret, so a receiver can tell it came from us. Retried with doubling waits when the hook
 * gives no answer, 408, 429 or 5xx (the same bytes each time: the same signature); the job never waits for it.
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

export interface JobWebhookSettings {
  /** Used for the jobs of scrapers without a `webhook_url` of their own. */
  url?: string;
  /** Signs every delivery when set. */
  secret?: string;
  /** Tries in all (default 5)… */
  attempts?: number;
  /** …waiting this long before the second, twice that before the third, and so on (default 1000 ms). */
  backoffMs?: number;
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

/** `sha256=<hex>`: HMAC-SHA256 of `body` under `secret` (Web Crypto, so the Worker signs the same way). */
export async function webhookSignature(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Statuses worth another try: the hook may answer later. */
function retryable(e: unknown): boolean {
  if (!(e instanceof WebhookError)) return false;
  return e.status === undefined || e.status === 408 || e.status === 429 || e.status >= 500;
}

/** Delivers the webhook of a finished job; never throws (a failure is logged and returned). */
export async function sendJobWebhook(deps: JobWebhookDeps, job: JobRow, signal: AbortSignal): Promise<WebhookDelivery> {
  const say = (level: LogLevel, msg: string) =>
    deps.sink({ time: deps.clock.now().toISOString(), level, msg, job_id: job.id, source_id: job.source_id, scraper_id: job.scraper_id });
  const { settings } = deps;
  let url: string | undefined;
  let attempts = 0;
  try {
    const scraper = await jobScraper(deps.database, job);
    url = scraper?.webhookUrl ?? settings.url;
    if (url === undefined) return { sent: false, reason: "no webhook" };
    const target = parseWebhookUrl(url, scraper?.webhookUrl ? "webhook_url" : "webhook");
    const view = await jobView(deps.database, job.id);
    const body = JSON.stringify({ event: JOB_FINISHED, job: jobJson(view ?? { ...job, source: null }), scraper: scraper?.name ?? null, sent_at: deps.clock.now().toISOString() });
    const headers: Record<string, string> = { [EVENT_HEADER]: JOB_FINISHED };
    if (settings.secret) headers[SIGNATURE_HEADER] = await webhookSignature(settings.secret, body);
    const tries = Math.max(1, settings.attempts ?? 5);
    for (;;) {
      attempts++;
      try {
        await postWebhook(target, body, headers, { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}) });
        return { sent: true, attempts, url };
      } catch (e) {
        if (!retryable(e) || attempts >= tries || signal.aborted) throw e;
        const wait = (settings.backoffMs ?? 1000) * 2 ** (attempts - 1);
        say("WARNING", `job webhook: ${e instanceof Error ? e.message : String(e)}; trying again in ${wait} ms (try ${attempts + 1} of ${tries})`);
        await deps.sleep(wait, signal);
        if (signal.aborted) throw e;
      }
    }
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    say("ERROR", `job webhook not delivered${attempts > 1 ? ` after ${attempts} tries` : ""}: ${error}`);
    return { sent: false, attempts, url: url ?? "", error };
  }
}
