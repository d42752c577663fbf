/**
 * @module
 * The webhook `Notifier`: an alert (failing checker tests, scrapers that stopped saving, checkers that stopped
 * deleting) POSTed as one JSON document, `{type, subject, failures, sent_at}`, to a URL the user gives. Slack,
 * Discord, ntfy, a CI hook or a small script of one's own can take it from there.
 */
import { UnavailableError, ValidationError } from "../errors.ts";
import type { Alert, Notifier } from "../ports.ts";
import { VERSION } from "../version.ts";

/** What the notifier needs of `fetch`; the platform's global `fetch` is one. */
export type WebhookFetch = (input: string, init: RequestInit) => Promise<Response>;

export interface WebhookOptions {
  /** How long the hook may take to answer. Default 10000. */
  timeoutMs?: number;
  /** The time sent as `sent_at`. Default: the system clock. */
  now?: () => Date;
}

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** The JSON body every webhook receives. */
export interface WebhookPayload extends Alert {
  /** ISO 8601 UTC. */
  sent_at: string;
}

/**
 * A notifier POSTing to `url`. The URL is checked here, before any work is done, so that a typo is reported at
 * once rather than after a long run of checks whose alert then goes nowhere. `notify` rejects with an
 * `UnavailableError` naming the hook and what went wrong (no answer, timeout, non-2xx status).
 */
export function webhookNotifier(url: string, fetchFn?: WebhookFetch, options: WebhookOptions = {}): Notifier {
  const target = parseHookUrl(url);
  const now = options.now ?? (() => new Date());
  return {
    async notify(alert: Alert): Promise<void> {
      const payload: WebhookPayload = { type: alert.type, subject: alert.subject, failures: alert.failures, sent_at: now().toISOString() };
      await postWebhook(target, JSON.stringify(payload), {}, { ...(fetchFn ? { fetch: fetchFn } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
    },
  };
}

/** A webhook that did not take a POST: no answer (`status` undefined), or a status other than 2xx. */
export class WebhookError extends UnavailableError {
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "WebhookError";
  }
}

/**
 * POSTs a JSON `body` to a webhook; rejects with a {@link WebhookError} naming the hook (its secret-bearing parts
 * left out) and what went wrong: no answer, timeout, non-2xx status.
 */
export async function postWebhook(target: URL, body: string, headers: Record<string, string>, options: { fetch?: WebhookFetch; timeoutMs?: number } = {}): Promise<void> {
  // Called detached: workerd's fetch throws "Illegal invocation" when called as a method of another object.
  const send: WebhookFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const shown = displayUrl(target);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error("timeout"));
  }, timeoutMs);
  try {
    let response: Response;
    try {
      response = await send(target.href, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": `dscraper/${VERSION}`, accept: "*/*", ...headers },
        body,
        // A 301/302 would turn the POST into a body-less GET that may well answer 200: the alert would be
        // lost while looking delivered. A redirect is reported instead, so the user configures the final URL.
        redirect: "manual",
        signal: controller.signal,
      });
    } catch (e) {
      if (timedOut) throw new WebhookError(`webhook ${shown}: no answer within ${timeoutMs} ms`, undefined, { cause: e });
      throw new WebhookError(`webhook ${shown} could not be reached: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
    }
    // The answer's body means nothing to us; cancelling frees the connection.
    response.body?.cancel().catch(() => {});
    if (response.status < 200 || response.status > 299) {
      const why = response.status >= 300 && response.status < 400 ? " (redirects are not followed: give the final URL)" : "";
      throw new WebhookError(`webhook ${shown} answered HTTP ${response.status}${why}`, response.status);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A webhook URL, checked: an absolute http(s) URL. `field` names the setting in the error. */
export function parseWebhookUrl(url: string, field: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError([{ path: field, message: `webhook URL "${url}" is not a valid URL (expected http://… or https://…)` }]);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ValidationError([{ path: field, message: `webhook URL "${url}" must be http:// or https://, not ${parsed.protocol}` }]);
  }
  return parsed;
}

function parseHookUrl(url: string): URL {
  return parseWebhookUrl(url, "notify");
}

/**
 * The hook's URL as error messages show it: credentials and the query are left out, since hooks commonly carry
 * their secret there (`?token=…`) and error messages end up in logs.
 */
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? "?…" : ""}`;
}
