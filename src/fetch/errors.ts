/**
 * @module
 * How a fetch ends when there is no HTTP response to hand back. Callers decide from the type (crawlee-style): the
 * retry policy retries `NetworkError` and `TimeoutError` and nothing else, the job stats count failures by `kind`,
 * a checker reads "host down" apart from "forbidden".
 */
import { DscraperError } from "../errors.ts";

export type FetchErrorKind = "robots" | "network" | "timeout" | "too_large" | "redirect" | "aborted" | "invalid_url";

/** A request that ended without an HTTP response to hand back. `url` is the URL (or redirect hop) that failed. */
export abstract class FetchError extends DscraperError {
  readonly code = "fetch_failed";
  abstract readonly kind: FetchErrorKind;
  constructor(
    readonly url: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** robots.txt disallows the URL, or could not be fetched (which RFC 9309 reads as "disallow all"). Never retried. */
export class RobotsDisallowedError extends FetchError {
  readonly kind = "robots";
  constructor(url: string, message: string) {
    super(url, message);
    this.name = "RobotsDisallowedError";
  }
}

/** No answer (refused, reset, DNS…) after `attempts` attempts. Retried while attempts are left. */
export class NetworkError extends FetchError {
  readonly kind = "network";
  constructor(
    url: string,
    readonly attempts: number,
    cause: unknown,
    message = `${url}: network error after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${describeCause(cause)}`,
  ) {
    super(url, message, { cause });
    this.name = "NetworkError";
  }
}

/** No complete answer within `timeoutMs` (headers and body) in any of `attempts` attempts. Retried while attempts are left. */
export class TimeoutError extends FetchError {
  readonly kind = "timeout";
  constructor(
    url: string,
    readonly attempts: number,
    readonly timeoutMs: number,
    message = `${url}: no complete answer within ${timeoutMs} ms in ${attempts} attempt${attempts === 1 ? "" : "s"}`,
  ) {
    super(url, message);
    this.name = "TimeoutError";
  }
}

/** The body is over the byte cap (declared or counted while decoding). Not retried: it would be again. */
export class TooLargeError extends FetchError {
  readonly kind = "too_large";
  constructor(
    url: string,
    readonly limit: number,
    detail: string,
  ) {
    super(url, `${url}: body over the ${limit}-byte limit (${detail})`);
    this.name = "TooLargeError";
  }
}

/** Too many redirects, a loop, a target that is not http(s), or a redirect without a usable Location. */
export class RedirectError extends FetchError {
  readonly kind = "redirect";
  constructor(url: string, message: string) {
    super(url, message);
    this.name = "RedirectError";
  }
}

/** The caller's signal fired (Ctrl-C, job cancelled). Named "AbortError" like the platform's own. */
export class AbortedError extends FetchError {
  readonly kind = "aborted";
  constructor(url: string, reason: unknown) {
    super(url, `${url}: cancelled`, { cause: reason });
    this.name = "AbortError";
  }
}

/** The URL cannot be fetched at all: unparsable, or not http(s) (a scraped `mailto:` link, say). */
export class InvalidUrlError extends FetchError {
  readonly kind = "invalid_url";
  constructor(url: string, message: string) {
    super(url, message);
    this.name = "InvalidUrlError";
  }
}

/** A thrown value as one line: the platform's message, with its error code when the message lacks it. */
export function describeCause(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}
