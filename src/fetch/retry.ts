/**
 * @module
 * What is tried again, and after how long. An HTTP status is retried when it says "later" (408, 429, 5xx
 * gateway/unavailable); a failure is retried by its type — `NetworkError` and `TimeoutError` — and nothing else
 * (too large, a redirect problem, robots.txt or a cancel would end the same way again). The wait is the server's
 * Retry-After when it sends one (capped), else an exponential backoff with jitter.
 */
import { describeCause, NetworkError, TimeoutError } from "./errors.ts";

export interface RetrySettings {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Base of the exponential backoff between attempts (`backoffMs × 2^(n-1)`, jittered ×0.5–1.5). */
  backoffMs: number;
  /** Cap on an honoured `Retry-After`. */
  maxRetryAfterMs: number;
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export class RetryPolicy {
  constructor(
    private readonly settings: Readonly<RetrySettings>,
    private readonly random: () => number,
  ) {}

  get attempts(): number {
    return this.settings.attempts;
  }

  /** Whether an answer with this status is tried again (while attempts are left; the last one is handed back). */
  retriesStatus(status: number): boolean {
    return RETRYABLE_STATUSES.has(status);
  }

  /** Whether a failed attempt is tried again (while attempts are left). Decided by the error's type alone. */
  retriesError(e: unknown): e is NetworkError | TimeoutError {
    return e instanceof NetworkError || e instanceof TimeoutError;
  }

  /** Why an attempt failed, for the `request` and `retry` events. */
  reason(e: NetworkError | TimeoutError): string {
    return e instanceof TimeoutError ? `timeout after ${e.timeoutMs} ms` : describeCause(e.cause);
  }

  /** The wait after failed attempt number `attempt` (1-based) when the server did not say how long. */
  backoffMs(attempt: number): number {
    return Math.round(this.settings.backoffMs * 2 ** (attempt - 1) * (0.5 + this.random()));
  }

  /** A Retry-After (delta-seconds or HTTP-date) in milliseconds from `now`, capped; undefined when absent or unreadable. */
  retryAfterMs(headers: Headers, now: number): number | undefined {
    const value = headers.get("retry-after")?.trim();
    if (value === undefined || value === "") return undefined;
    let ms: number;
    if (/^\d+$/.test(value)) ms = Number(value) * 1000;
    else {
      const at = Date.parse(value);
      if (Number.isNaN(at)) return undefined;
      ms = Math.max(0, at - now);
    }
    return Math.min(ms, this.settings.maxRetryAfterMs);
  }
}
