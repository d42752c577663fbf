/**
 * @module
 * The polite HTTP client that every crawl, detail page, checker and image download goes through. It composes the
 * host scheduler (limits in flight, delays, Retry-After pauses), the robots.txt cache, the retry policy and capped
 * body reading, and follows redirects by hand. Any HTTP status is a response; everything else is a typed
 * `FetchError` (errors.ts), so callers decide from the type what happens next.
 */
import { ValidationError, type Issue } from "../errors.ts";
import { VERSION } from "../version.ts";
import { BodyTooLarge, declaredOver, EMPTY, readBody } from "./body.ts";
import { AbortedError, NetworkError, TimeoutError, TooLargeError } from "./errors.ts";
import { HostScheduler, type HostState } from "./host-scheduler.ts";
import { RedirectTrail, REDIRECT_STATUSES, type Hop } from "./redirects.ts";
import { RetryPolicy } from "./retry.ts";
import { RobotsCache, type RobotsAnswer } from "./robots-cache.ts";
import { ROBOTS_MAX_BYTES } from "./robots.ts";
import { realSleep, type Sleep } from "./sleep.ts";
import { parseTarget } from "./target.ts";

export interface FetchSettings {
  /** Requests in flight in total. Default 16. */
  concurrency: number;
  /** Requests in flight per host (`hostname:port`). Default 1. */
  perHost: number;
  /** Minimum gap between request starts to one host; robots.txt `Crawl-delay` and `Retry-After` win when longer. Default 1000. */
  delayMs: number;
  /** Per attempt, headers and body together. Default 30000. */
  timeoutMs: number;
  /** Cap on decoded body bytes; also what stops gzip and brotli bombs. Default 10 MiB. */
  maxBytes: number;
  /** Fetch robots.txt and refuse what it disallows. Default true. */
  obeyRobots: boolean;
  /** Sent on every request that does not set its own. Default `dscraper/<version>`. */
  userAgent: string;
  /** Attempts in all for retryable failures (408, 429, 500, 502, 503, 504, network errors, timeouts). Default 3. */
  attempts: number;
  /** Base of the exponential backoff between attempts (`backoffMs × 2^(n-1)`, jittered ×0.5–1.5). Default 1000. */
  backoffMs: number;
  /** Cap on an honoured `Retry-After`. Default 60000. */
  maxRetryAfterMs: number;
  /** How long a host's robots.txt is kept. Default 3600000. */
  robotsTtlMs: number;
}

/** No contact URL: we have no page of our own to point at, and a made-up one would point at someone else's. */
export const DEFAULT_USER_AGENT = `dscraper/${VERSION}`;

export const DEFAULT_FETCH_SETTINGS: Readonly<FetchSettings> = Object.freeze({
  concurrency: 16,
  perHost: 1,
  delayMs: 1000,
  timeoutMs: 30_000,
  maxBytes: 10 * 1024 * 1024,
  obeyRobots: true,
  userAgent: DEFAULT_USER_AGENT,
  attempts: 3,
  backoffMs: 1000,
  maxRetryAfterMs: 60_000,
  robotsTtlMs: 3_600_000,
});

export interface PageRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Overrides `FetchSettings.maxBytes`, e.g. for images. */
  maxBytes?: number;
}

export interface PageResponse {
  /** The final URL after redirects, without fragment or credentials. */
  url: string;
  status: number;
  headers: Headers;
  /** Decoded (gunzipped…) bytes. */
  body: Uint8Array;
  /** Attempts made at the final URL (1 when the first one answered). */
  attempts: number;
  redirects: number;
}

export type FetchEvent =
  | { type: "request"; url: string; attempt: number; status?: number; ms: number; error?: string }
  | { type: "retry"; url: string; attempt: number; waitMs: number; reason: string }
  | { type: "robots"; host: string; status: number };

/** What the fetcher needs of `fetch`; the platform's global `fetch` is one. */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export interface FetcherOptions {
  /** The clock of delays, Retry-After and the robots.txt TTL. Default `Date.now`. */
  now?: () => number;
  /** How the fetcher waits between request starts and attempts. Default a real timer. */
  sleep?: Sleep;
  /** The jitter of the backoff. Default `Math.random`. */
  random?: () => number;
  onEvent?: (event: FetchEvent) => void;
}

/** One hop's outcome: a response to hand back, or a redirect (`location` null when the header is missing). */
interface Exchange extends RobotsAnswer {
  headers: Headers;
  attempts: number;
}

/** An answer whose status asks to be tried again, with the server's Retry-After when it gave one. */
interface RetryStatus {
  retry: string;
  retryAfterMs: number | undefined;
}

export class Fetcher {
  readonly settings: Readonly<FetchSettings>;
  private readonly fetchFn: FetchFn;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly onEvent: ((event: FetchEvent) => void) | undefined;
  private readonly hosts: HostScheduler;
  private readonly robots: RobotsCache;
  private readonly retry: RetryPolicy;

  constructor(settings: FetchSettings, fetchFn?: FetchFn, options: FetcherOptions = {}) {
    this.settings = validate(settings);
    // Called detached: workerd's fetch throws "Illegal invocation" when called as a method of another object.
    this.fetchFn = fetchFn ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.onEvent = options.onEvent;
    this.hosts = new HostScheduler(this.settings, this.now, this.sleep);
    this.retry = new RetryPolicy(this.settings, options.random ?? Math.random);
    this.robots = new RobotsCache({
      userAgent: this.settings.userAgent,
      ttlMs: this.settings.robotsTtlMs,
      now: this.now,
      get: (url) => this.exchange({ url, method: "GET", headers: new Headers({ "user-agent": this.settings.userAgent }), body: undefined }, ROBOTS_MAX_BYTES, true, undefined),
      onVerdict: (host, status) => this.emit({ type: "robots", host, status }),
    });
  }

  /**
   * Fetches `request`, following redirects. Resolves with the response for any HTTP status (after retries for
   * 408/429/5xx); rejects with a `FetchError` subclass otherwise.
   */
  async fetch(request: PageRequest, signal?: AbortSignal): Promise<PageResponse> {
    if (signal?.aborted) throw new AbortedError(request.url, signal.reason);
    const headers = new Headers(request.headers);
    const hop: Hop = { url: parseTarget(request.url, headers), method: request.method, headers, body: request.body };
    if (!headers.has("user-agent")) headers.set("user-agent", this.settings.userAgent);
    const maxBytes = request.maxBytes ?? this.settings.maxBytes;
    const trail = new RedirectTrail(request.url);
    for (let redirects = 0; ; redirects++) {
      if (this.settings.obeyRobots) this.robots.check(hop.url, await this.robotsOf(hop.url, signal));
      const r = await this.exchange(hop, maxBytes, false, signal);
      if (r.location === undefined) {
        return { url: hop.url.href, status: r.status, headers: r.headers, body: r.body, attempts: r.attempts, redirects };
      }
      trail.follow(hop, r.status, r.location, redirects);
    }
  }

  /** Whether robots.txt allows the URL (fetches and caches robots.txt as needed). */
  async allowed(url: string, signal?: AbortSignal): Promise<boolean> {
    const target = parseTarget(url);
    if (!this.settings.obeyRobots) return true;
    return (await this.robotsOf(target, signal)).rules.isAllowed(target.pathname + target.search);
  }

  /** The robots.txt entry of the URL's origin; its Crawl-delay becomes the host's delay. */
  private async robotsOf(url: URL, signal: AbortSignal | undefined) {
    const entry = this.robots.fresh(url) ?? (await this.robots.load(url, signal));
    this.hosts.setCrawlDelay(url, entry.rules.crawlDelayMs);
    return entry;
  }

  /** One hop, with retries: each attempt waits for its turn, and a retry waits out a Retry-After or the backoff. */
  private async exchange(hop: Hop, maxBytes: number, truncate: boolean, signal: AbortSignal | undefined): Promise<Exchange> {
    const href = hop.url.href;
    for (let attempt = 1; ; attempt++) {
      // Looked up each time: an idle host's state may have been swept while this request backed off.
      const host = this.hosts.host(hop.url);
      const turn = this.hosts.acquire(host, href, signal);
      if (turn !== undefined) await turn;
      let outcome: Exchange | RetryStatus;
      let reason: string;
      try {
        outcome = await this.attempt(host, hop, maxBytes, truncate, signal, attempt);
        if (!("retry" in outcome)) return outcome;
        reason = outcome.retry;
      } catch (e) {
        if (!this.retry.retriesError(e) || attempt >= this.retry.attempts) throw e;
        outcome = { retry: (reason = this.retry.reason(e)), retryAfterMs: undefined };
      } finally {
        this.hosts.release(host);
      }
      if (outcome.retryAfterMs !== undefined) {
        // The host pause set by attempt() holds this retry back too; waiting in the host queue keeps it abortable.
        this.emit({ type: "retry", url: href, attempt, waitMs: outcome.retryAfterMs, reason });
        continue;
      }
      const waitMs = this.retry.backoffMs(attempt);
      this.emit({ type: "retry", url: href, attempt, waitMs, reason });
      if (waitMs > 0) {
        try {
          await this.sleep(waitMs, signal);
        } catch (e) {
          if (signal?.aborted) throw new AbortedError(href, signal.reason);
          throw e;
        }
      }
      if (signal?.aborted) throw new AbortedError(href, signal.reason);
    }
  }

  /**
   * One request and its body within `timeoutMs`. Throws NetworkError or TimeoutError (numbered with this attempt,
   * for the retry policy to read), TooLargeError or AbortedError; a retryable status with attempts left is a
   * RetryStatus, after pausing the host for its Retry-After.
   */
  private async attempt(
    host: HostState,
    hop: Hop,
    maxBytes: number,
    truncate: boolean,
    signal: AbortSignal | undefined,
    attempt: number,
  ): Promise<Exchange | RetryStatus> {
    const href = hop.url.href;
    // The turn may have come in the same tick as an abort, which AbortSignal.any would not report.
    if (signal?.aborted) throw new AbortedError(href, signal.reason);
    const started = this.now();
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    let status: number | undefined;
    const done = (error?: string) => this.emit({ type: "request", url: href, attempt, status, ms: this.now() - started, ...(error !== undefined && { error }) });
    const failed = (e: unknown): never => {
      if (signal?.aborted) throw new AbortedError(href, signal.reason);
      const failure = timeout.aborted ? new TimeoutError(href, attempt, this.settings.timeoutMs) : new NetworkError(href, attempt, e);
      done(this.retry.reason(failure));
      throw failure;
    };
    let response: Response;
    try {
      const { method, headers, body } = hop;
      const requestSignal = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
      response = await this.fetchFn(href, { method, headers, body: body as BodyInit | undefined, redirect: "manual", signal: requestSignal });
    } catch (e) {
      return failed(e);
    }
    status = response.status;
    const isRedirect = REDIRECT_STATUSES.has(status);
    const retryable = this.retry.retriesStatus(status);
    if (isRedirect || (retryable && attempt < this.retry.attempts)) {
      // Only the status and headers matter; cancelling frees the connection without reading a body we ignore.
      response.body?.cancel().catch(() => {});
      done();
      if (isRedirect) return { status, headers: response.headers, body: EMPTY, attempts: attempt, location: response.headers.get("location"), truncated: false };
      return { retry: `HTTP ${status}`, retryAfterMs: this.pauseFor(host, response.headers) };
    }
    if (retryable) this.pauseFor(host, response.headers);
    const declared = truncate ? undefined : declaredOver(response.headers, maxBytes);
    if (declared !== undefined) {
      response.body?.cancel().catch(() => {});
      done("too large");
      throw new TooLargeError(href, maxBytes, `Content-Length: ${declared}`);
    }
    let read: { body: Uint8Array; truncated: boolean };
    try {
      read = await readBody(response, maxBytes, truncate);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) return failed(e);
      done("too large");
      throw new TooLargeError(href, maxBytes, e.message);
    }
    done();
    return { status, headers: response.headers, body: read.body, attempts: attempt, location: undefined, truncated: read.truncated };
  }

  /** Pauses the whole host for the answer's Retry-After, if it has one. */
  private pauseFor(host: HostState, headers: Headers): number | undefined {
    const now = this.now();
    const ms = this.retry.retryAfterMs(headers, now);
    if (ms !== undefined) this.hosts.pause(host, now + ms);
    return ms;
  }

  private emit(event: FetchEvent): void {
    if (this.onEvent === undefined) return;
    try {
      this.onEvent(event);
    } catch {
      // A listener's bug must not turn into a failed fetch (or be retried as a network error).
    }
  }
}

function validate(settings: FetchSettings): Readonly<FetchSettings> {
  const issues: Issue[] = [];
  const check = (key: keyof FetchSettings, ok: boolean, message: string) => {
    if (!ok) issues.push({ path: key, message });
  };
  const int = (v: number, min: number) => Number.isSafeInteger(v) && v >= min;
  const ms = (v: number) => Number.isFinite(v) && v >= 0;
  check("concurrency", int(settings.concurrency, 1), "must be an integer ≥ 1");
  check("perHost", int(settings.perHost, 1), "must be an integer ≥ 1");
  check("delayMs", ms(settings.delayMs), "must be a number ≥ 0");
  check("timeoutMs", Number.isFinite(settings.timeoutMs) && settings.timeoutMs > 0, "must be a number > 0");
  check("maxBytes", int(settings.maxBytes, 0), "must be an integer ≥ 0");
  check("attempts", int(settings.attempts, 1), "must be an integer ≥ 1");
  check("backoffMs", ms(settings.backoffMs), "must be a number ≥ 0");
  check("maxRetryAfterMs", ms(settings.maxRetryAfterMs), "must be a number ≥ 0");
  check("robotsTtlMs", ms(settings.robotsTtlMs), "must be a number ≥ 0");
  check("userAgent", typeof settings.userAgent === "string" && settings.userAgent.trim() !== "" && !/[\r\n]/.test(settings.userAgent), "must be a non-empty single line");
  if (issues.length > 0) throw new ValidationError(issues);
  return Object.freeze({ ...settings });
}
