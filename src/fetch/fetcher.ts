/**
 * @module
 * The polite HTTP client that every crawl, detail page, checker and image download goes through: a global and a
 * per-host limit on requests in flight, a per-host delay between request starts, robots.txt, retries with backoff
 * and Retry-After, redirects followed by hand, and time and size limits. Any HTTP status is a response; everything
 * else is a typed `FetchError`, so callers decide from the type what happens next.
 */
import { DscraperError, ValidationError, type Issue } from "../errors.ts";
import { VERSION } from "../version.ts";
import { ALLOW_ALL, DISALLOW_ALL, parseRobots, productToken, ROBOTS_MAX_BYTES, type RobotsRules } from "./robots.ts";

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
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  onEvent?: (event: FetchEvent) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

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

/** No answer (refused, reset, DNS…) after all attempts. */
export class NetworkError extends FetchError {
  readonly kind = "network";
  constructor(
    url: string,
    readonly attempts: number,
    cause: unknown,
    message = `${url}: network error after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${describe(cause)}`,
  ) {
    super(url, message, { cause });
    this.name = "NetworkError";
  }
}

/** No complete answer within `timeoutMs` (headers and body) in any attempt. */
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

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}

// ---------------------------------------------------------------------------------------------------------------
// Politeness: who may start a request now

/** A request waiting for its turn: first in its host's queue, then (holding the host's turn) in the global one. */
interface Waiter {
  readonly host: HostState;
  readonly url: string;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  inGlobal: boolean;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

/** FIFO with O(1) removal of a waiter whose caller gave up. A waiter is in at most one list at a time. */
class WaitList {
  head: Waiter | undefined;
  tail: Waiter | undefined;
  push(w: Waiter): void {
    w.prev = this.tail;
    w.next = undefined;
    if (this.tail) this.tail.next = w;
    else this.head = w;
    this.tail = w;
  }
  remove(w: Waiter): void {
    if (w.prev) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = w.next = undefined;
  }
}

class HostState {
  active = 0;
  readonly waiting = new WaitList();
  /** The one waiter of this host in the global queue; while it waits, the host's turn is taken. */
  ready: Waiter | undefined;
  lastStart = Number.NEGATIVE_INFINITY;
  /** Until when a Retry-After keeps every request to this host waiting (0: no such pause). */
  blockedUntil = 0;
  timer: AbortController | undefined;
  timerAt = 0;
  constructor(public delayMs: number) {}
}

const MAX_HOSTS_KEPT = 1024;

// ---------------------------------------------------------------------------------------------------------------
// robots.txt cache, shared by every Fetcher of the process: the same crawl often runs as several jobs.

interface RobotsEntry {
  readonly rules: RobotsRules;
  /** Why everything is disallowed, when robots.txt could not be fetched. */
  readonly problem?: string;
  /** The host did not answer at all: its pages fail with this kind of error rather than as disallowed. */
  readonly failure?: NetworkError | TimeoutError;
  /** From a robots.txt that was read, as opposed to a status-code verdict. */
  readonly read: boolean;
  readonly expires: number;
}

const robotsCaches = new Map<string, Map<string, RobotsEntry | Promise<RobotsEntry>>>();

/** An unreachable robots.txt is asked again after this long (or the TTL when shorter), not after the whole TTL. */
const ROBOTS_RETRY_MS = 60_000;
const ROBOTS_MAX_REDIRECTS = 5;
const MAX_REDIRECTS = 10;

// ---------------------------------------------------------------------------------------------------------------

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that describe a body, dropped when a redirect turns the request into a GET without one. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/** Credentials for one origin must not reach another through a redirect (Fetch standard, §4.4). */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];
const EMPTY = new Uint8Array(0);

/** One hop's outcome: a response to hand back, or a redirect (`location` null when the header is missing). */
interface Exchange {
  status: number;
  headers: Headers;
  body: Uint8Array;
  attempts: number;
  location: string | null | undefined;
  truncated: boolean;
}

/** An attempt that may be tried again. */
interface Retry {
  retry: true;
  reason: string;
  timedOut: boolean;
  cause: unknown;
  retryAfterMs: number | undefined;
}

class BodyTooLarge extends Error {}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export class Fetcher {
  readonly settings: Readonly<FetchSettings>;
  private readonly fetchFn: FetchFn;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly onEvent: ((event: FetchEvent) => void) | undefined;
  private readonly robots: Map<string, RobotsEntry | Promise<RobotsEntry>>;
  private readonly hosts = new Map<string, HostState>();
  /** Waiters that hold their host's turn and wait for a global slot, oldest first. */
  private readonly ready = new WaitList();
  private active = 0;

  constructor(settings: FetchSettings, fetchFn?: FetchFn, options: FetcherOptions = {}) {
    this.settings = validate(settings);
    // Called detached: workerd's fetch throws "Illegal invocation" when called as a method of another object.
    this.fetchFn = fetchFn ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.onEvent = options.onEvent;
    let robots = robotsCaches.get(this.settings.userAgent);
    if (robots === undefined) robotsCaches.set(this.settings.userAgent, (robots = new Map()));
    this.robots = robots;
  }

  /**
   * Fetches `request`, following redirects. Resolves with the response for any HTTP status (after retries for
   * 408/429/5xx); rejects with a `FetchError` subclass otherwise.
   */
  async fetch(request: PageRequest, signal?: AbortSignal): Promise<PageResponse> {
    if (signal?.aborted) throw new AbortedError(request.url, signal.reason);
    const headers = new Headers(request.headers);
    let url = parseTarget(request.url, headers);
    if (!headers.has("user-agent")) headers.set("user-agent", this.settings.userAgent);
    let method: string = request.method;
    let body = request.body;
    const maxBytes = request.maxBytes ?? this.settings.maxBytes;
    let seen: Set<string> | undefined;
    for (let redirects = 0; ; redirects++) {
      if (this.settings.obeyRobots) await this.checkRobots(url, signal);
      const r = await this.exchange(url, method, headers, body, maxBytes, false, signal);
      if (r.location === undefined) {
        return { url: url.href, status: r.status, headers: r.headers, body: r.body, attempts: r.attempts, redirects };
      }
      const from = url;
      if (r.location === null) throw new RedirectError(from.href, `${from.href}: HTTP ${r.status} redirect without a Location header`);
      const next = tryUrl(r.location, from);
      if (next === null) throw new RedirectError(from.href, `${from.href}: HTTP ${r.status} redirect to an invalid URL: ${r.location}`);
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw new RedirectError(from.href, `${from.href}: redirect to ${next.protocol} URL ${next.href} refused (only http and https are followed)`);
      }
      if (redirects === MAX_REDIRECTS) throw new RedirectError(from.href, `${request.url}: more than ${MAX_REDIRECTS} redirects`);
      seen ??= new Set([`${method} ${from.href}`]);
      if (r.status === 303 || ((r.status === 301 || r.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        for (const name of BODY_HEADERS) headers.delete(name);
      }
      // Credentials the server puts in a Location are not ours to send; ours travel in the Authorization header.
      next.username = "";
      next.password = "";
      next.hash = "";
      if (next.origin !== from.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      const key = `${method} ${next.href}`;
      if (seen.has(key)) throw new RedirectError(from.href, `${request.url}: redirect loop (${next.href} again)`);
      seen.add(key);
      url = next;
    }
  }

  /** Whether robots.txt allows the URL (fetches and caches robots.txt as needed). */
  async allowed(url: string, signal?: AbortSignal): Promise<boolean> {
    const target = parseTarget(url);
    if (!this.settings.obeyRobots) return true;
    const entry = this.freshRobots(target) ?? (await this.loadRobotsOnce(target, signal));
    return entry.rules.isAllowed(target.pathname + target.search);
  }

  // -------------------------------------------------------------------------------------------------------------
  // robots.txt

  private async checkRobots(url: URL, signal: AbortSignal | undefined): Promise<void> {
    const entry = this.freshRobots(url) ?? (await this.loadRobotsOnce(url, signal));
    if (entry.rules.isAllowed(url.pathname + url.search)) return;
    // A host that does not answer is down, not forbidding: callers (a checker, the retry policy) must see that.
    const { failure } = entry;
    if (failure instanceof TimeoutError) throw new TimeoutError(url.href, failure.attempts, failure.timeoutMs, `${url.href}: ${entry.problem}`);
    if (failure instanceof NetworkError) throw new NetworkError(url.href, failure.attempts, failure.cause, `${url.href}: ${entry.problem}`);
    throw new RobotsDisallowedError(
      url.href,
      entry.problem !== undefined
        ? `${url.href}: ${entry.problem}`
        : `${url.href}: disallowed by ${url.origin}/robots.txt for user agent "${productToken(this.settings.userAgent)}"`,
    );
  }

  /** The cached robots.txt of the URL's origin when still fresh (the common case, without a promise). */
  private freshRobots(url: URL): RobotsEntry | undefined {
    const cached = this.robots.get(url.origin);
    if (cached === undefined || cached instanceof Promise || cached.expires <= this.now()) return undefined;
    return this.applyCrawlDelay(url, cached);
  }

  /** Fetches robots.txt, or joins the fetch already under way for that origin. */
  private async loadRobotsOnce(url: URL, signal: AbortSignal | undefined): Promise<RobotsEntry> {
    const origin = url.origin;
    const cached = this.robots.get(origin);
    let pending: Promise<RobotsEntry>;
    if (cached instanceof Promise) pending = cached;
    else {
      if (this.robots.size >= MAX_HOSTS_KEPT) this.sweepRobots();
      // Not tied to the caller's signal: other requests to the host may be waiting for the same answer.
      pending = this.loadRobots(url, cached).then((loaded) => {
        this.robots.set(origin, loaded);
        return loaded;
      });
      this.robots.set(origin, pending);
    }
    return this.applyCrawlDelay(url, await untilAborted(pending, signal, url.href));
  }

  private applyCrawlDelay(url: URL, entry: RobotsEntry): RobotsEntry {
    const delay = Math.max(this.settings.delayMs, entry.rules.crawlDelayMs ?? 0);
    const host = this.hostFor(url);
    if (host.delayMs !== delay) host.delayMs = delay;
    return entry;
  }

  private sweepRobots(): void {
    const now = this.now();
    for (const [origin, entry] of this.robots) if (!(entry instanceof Promise) && entry.expires <= now) this.robots.delete(origin);
  }

  /** RFC 9309 §2.3: 2xx is read, 4xx allows everything, 5xx or no answer disallows everything. Never rejects. */
  private async loadRobots(url: URL, previous: RobotsEntry | undefined): Promise<RobotsEntry> {
    const { origin, host } = url;
    const ttl = this.settings.robotsTtlMs;
    const verdict = (status: number, rules: RobotsRules): RobotsEntry => {
      this.emit({ type: "robots", host, status });
      return { rules, read: false, expires: this.now() + ttl };
    };
    const unreachable = (status: number, why: string, failure?: NetworkError | TimeoutError): RobotsEntry => {
      this.emit({ type: "robots", host, status });
      const expires = this.now() + Math.min(ttl, ROBOTS_RETRY_MS);
      // RFC 9309 §2.4 lets a crawler keep using a copy it has when robots.txt becomes unreachable.
      if (previous?.read) return { ...previous, expires };
      return {
        rules: DISALLOW_ALL,
        read: false,
        expires,
        problem: `${origin}/robots.txt could not be fetched (${why}), and RFC 9309 says that disallows everything on that host`,
        ...(failure && { failure }),
      };
    };
    let target = new URL("/robots.txt", origin);
    try {
      for (let redirects = 0; ; redirects++) {
        const headers = new Headers({ "user-agent": this.settings.userAgent });
        const r = await this.exchange(target, "GET", headers, undefined, ROBOTS_MAX_BYTES, true, undefined);
        if (r.location !== undefined) {
          // RFC 9309 §2.3.1.2: follow up to five redirects, even to other hosts; beyond that, or to nowhere
          // usable, robots.txt counts as unavailable.
          const next = r.location === null ? null : tryUrl(r.location, target);
          if (next === null || (next.protocol !== "http:" && next.protocol !== "https:") || redirects === ROBOTS_MAX_REDIRECTS) {
            return verdict(r.status, ALLOW_ALL);
          }
          target = next;
          continue;
        }
        if (r.status >= 200 && r.status < 300) {
          this.emit({ type: "robots", host, status: r.status });
          let bytes = r.body;
          // A line cut in half by the size cap could read as a shorter, broader rule: drop it.
          if (r.truncated) bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
          const rules = parseRobots(new TextDecoder().decode(bytes), this.settings.userAgent);
          return { rules, read: true, expires: this.now() + ttl };
        }
        // 429 is a 4xx, but it says "slow down", not "there is no robots.txt": treat it like a server error.
        if (r.status === 429 || r.status >= 500) return unreachable(r.status, `HTTP ${r.status}`);
        return verdict(r.status, ALLOW_ALL);
      }
    } catch (e) {
      const failure = e instanceof NetworkError || e instanceof TimeoutError ? e : undefined;
      return unreachable(0, failure ? failure.message.slice(failure.url.length + 2) : describe(e), failure);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // One hop, with retries

  private async exchange(
    url: URL,
    method: string,
    headers: Headers,
    body: string | Uint8Array | undefined,
    maxBytes: number,
    truncate: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Exchange> {
    const href = url.href;
    const { attempts } = this.settings;
    for (let attempt = 1; ; attempt++) {
      // Looked up each time: an idle host's state may have been swept while this request backed off.
      const host = this.hostFor(url);
      const turn = this.acquire(host, href, signal);
      if (turn !== undefined) await turn;
      let outcome: Exchange | Retry;
      try {
        outcome = await this.attempt(host, href, method, headers, body, maxBytes, truncate, signal, attempt);
      } finally {
        this.release(host);
      }
      if (!("retry" in outcome)) return outcome;
      if (attempt >= attempts) {
        throw outcome.timedOut ? new TimeoutError(href, attempt, this.settings.timeoutMs) : new NetworkError(href, attempt, outcome.cause);
      }
      if (outcome.retryAfterMs !== undefined) {
        // The host pause set by attempt() holds this retry back too; waiting in the host queue keeps it abortable.
        this.emit({ type: "retry", url: href, attempt, waitMs: outcome.retryAfterMs, reason: outcome.reason });
        continue;
      }
      const waitMs = Math.round(this.settings.backoffMs * 2 ** (attempt - 1) * (0.5 + this.random()));
      this.emit({ type: "retry", url: href, attempt, waitMs, reason: outcome.reason });
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

  private async attempt(
    host: HostState,
    href: string,
    method: string,
    headers: Headers,
    body: string | Uint8Array | undefined,
    maxBytes: number,
    truncate: boolean,
    signal: AbortSignal | undefined,
    attempt: number,
  ): Promise<Exchange | Retry> {
    // The turn may have come in the same tick as an abort; a listener added now would never hear of it.
    if (signal?.aborted) throw new AbortedError(href, signal.reason);
    const started = this.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, this.settings.timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let status: number | undefined;
    const failed = (e: unknown): Retry => {
      if (signal?.aborted) throw new AbortedError(href, signal.reason);
      const reason = timedOut ? `timeout after ${this.settings.timeoutMs} ms` : describe(e);
      this.emit({ type: "request", url: href, attempt, status, ms: this.now() - started, error: reason });
      return { retry: true, reason, timedOut, cause: e, retryAfterMs: undefined };
    };
    try {
      let response: Response;
      try {
        response = await this.fetchFn(href, { method, headers, body: body as BodyInit | undefined, redirect: "manual", signal: controller.signal });
      } catch (e) {
        return failed(e);
      }
      status = response.status;
      const isRedirect = REDIRECTS.has(status);
      const retryable = RETRYABLE.has(status);
      if (isRedirect || (retryable && attempt < this.settings.attempts)) {
        // Only the status and headers matter; cancelling frees the connection without reading a body we ignore.
        response.body?.cancel().catch(() => {});
        this.emit({ type: "request", url: href, attempt, status, ms: this.now() - started });
        if (isRedirect) return { status, headers: response.headers, body: EMPTY, attempts: attempt, location: response.headers.get("location"), truncated: false };
        const retryAfterMs = this.retryAfter(host, response.headers);
        return { retry: true, reason: `HTTP ${status}`, timedOut: false, cause: undefined, retryAfterMs };
      }
      if (retryable) this.retryAfter(host, response.headers);
      const declared = response.headers.get("content-length");
      if (!truncate && declared !== null && Number(declared) > maxBytes) {
        controller.abort();
        this.emit({ type: "request", url: href, attempt, status, ms: this.now() - started, error: "too large" });
        throw new TooLargeError(href, maxBytes, `Content-Length: ${declared}`);
      }
      let read: { body: Uint8Array; truncated: boolean };
      try {
        read = await readBody(response, maxBytes, truncate);
      } catch (e) {
        if (!(e instanceof BodyTooLarge)) return failed(e);
        controller.abort();
        this.emit({ type: "request", url: href, attempt, status, ms: this.now() - started, error: "too large" });
        throw new TooLargeError(href, maxBytes, `more than ${maxBytes} bytes after decoding`);
      }
      this.emit({ type: "request", url: href, attempt, status, ms: this.now() - started });
      return { status, headers: response.headers, body: read.body, attempts: attempt, location: undefined, truncated: read.truncated };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Reads a Retry-After (delta-seconds or HTTP-date), capped, and pauses the whole host for that long. */
  private retryAfter(host: HostState, headers: Headers): number | undefined {
    const value = headers.get("retry-after")?.trim();
    if (value === undefined || value === "") return undefined;
    const now = this.now();
    let ms: number;
    if (/^\d+$/.test(value)) ms = Number(value) * 1000;
    else {
      const at = Date.parse(value);
      if (Number.isNaN(at)) return undefined;
      ms = Math.max(0, at - now);
    }
    ms = Math.min(ms, this.settings.maxRetryAfterMs);
    host.blockedUntil = Math.max(host.blockedUntil, now + ms);
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

  // -------------------------------------------------------------------------------------------------------------
  // Turns. A request first waits for its host (FIFO, perHost in flight, delay since the last start, Retry-After
  // pause), then, holding its host's turn, for a global slot (FIFO across hosts). Holding the host's turn while
  // waiting globally keeps the delay measured between real starts; queueing by host first keeps one slow host
  // from blocking the global queue. Nothing polls: releases, timers and aborts move the queues.

  private hostFor(url: URL): HostState {
    const key = url.host;
    let host = this.hosts.get(key);
    if (host === undefined) {
      if (this.hosts.size >= MAX_HOSTS_KEPT) this.sweepHosts();
      host = new HostState(this.settings.delayMs);
      this.hosts.set(key, host);
    }
    return host;
  }

  private sweepHosts(): void {
    for (const [key, host] of this.hosts) {
      if (host.active === 0 && host.waiting.head === undefined && host.ready === undefined && host.timer === undefined && this.hostWait(host) <= 0) {
        this.hosts.delete(key);
      }
    }
  }

  /** Milliseconds until the host may start a request (≤ 0: now). */
  private hostWait(host: HostState): number {
    if (host.delayMs === 0 && host.blockedUntil === 0) return 0;
    const now = this.now();
    if (host.blockedUntil !== 0 && host.blockedUntil <= now) host.blockedUntil = 0;
    return Math.max(host.lastStart + host.delayMs, host.blockedUntil) - now;
  }

  /** Undefined when the request may start at once (the common case: no promise, no timer). */
  private acquire(host: HostState, url: string, signal: AbortSignal | undefined): Promise<void> | undefined {
    if (signal?.aborted) return Promise.reject(new AbortedError(url, signal.reason));
    if (
      host.waiting.head === undefined &&
      host.ready === undefined &&
      host.active < this.settings.perHost &&
      this.active < this.settings.concurrency &&
      this.ready.head === undefined &&
      this.hostWait(host) <= 0
    ) {
      this.start(host);
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { host, url, resolve, reject, signal, onAbort: undefined, inGlobal: false, prev: undefined, next: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => this.giveUp(waiter);
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      host.waiting.push(waiter);
      this.pump(host);
    });
  }

  private start(host: HostState): void {
    host.active++;
    this.active++;
    host.lastStart = this.now();
  }

  private grant(waiter: Waiter): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener("abort", waiter.onAbort);
    this.start(waiter.host);
    waiter.resolve();
  }

  /** Lets the host's next waiters go as far as they can: started, or into the global queue. */
  private pump(host: HostState): void {
    while (host.ready === undefined && host.active < this.settings.perHost) {
      const waiter = host.waiting.head;
      if (waiter === undefined) return;
      const wait = this.hostWait(host);
      if (wait > 0) return this.wake(host, wait);
      host.waiting.remove(waiter);
      if (this.active < this.settings.concurrency && this.ready.head === undefined) {
        this.grant(waiter);
      } else {
        waiter.inGlobal = true;
        host.ready = waiter;
        this.ready.push(waiter);
      }
    }
  }

  private release(host: HostState): void {
    host.active--;
    this.active--;
    const next = this.ready.head;
    if (next !== undefined && this.active < this.settings.concurrency) {
      this.ready.remove(next);
      next.inGlobal = false;
      next.host.ready = undefined;
      this.grant(next);
      if (next.host !== host) this.pump(next.host);
    }
    this.pump(host);
  }

  /** One timer per waiting host, never per request. */
  private wake(host: HostState, ms: number): void {
    const at = this.now() + ms;
    if (host.timer !== undefined) {
      if (host.timerAt <= at) return; // it fires first, and pump() then sets the next one
      host.timer.abort();
    }
    const timer = new AbortController();
    host.timer = timer;
    host.timerAt = at;
    this.sleep(ms, timer.signal).then(
      () => {
        if (host.timer !== timer) return;
        host.timer = undefined;
        this.pump(host);
      },
      () => {},
    );
  }

  private giveUp(waiter: Waiter): void {
    const { host } = waiter;
    if (waiter.inGlobal) {
      this.ready.remove(waiter);
      waiter.inGlobal = false;
      host.ready = undefined;
      this.pump(host);
    } else {
      host.waiting.remove(waiter);
      if (host.waiting.head === undefined && host.timer !== undefined) {
        host.timer.abort();
        host.timer = undefined;
      }
    }
    waiter.reject(new AbortedError(waiter.url, waiter.signal?.reason));
  }
}

// ---------------------------------------------------------------------------------------------------------------

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

/** Parses a URL to fetch; credentials in it move to an Authorization header (unless one is set) and out of the URL. */
function parseTarget(raw: string, headers?: Headers): URL {
  const url = tryUrl(raw);
  if (url === null) throw new InvalidUrlError(raw, `${raw}: not a valid URL`);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidUrlError(raw, `${raw}: only http and https URLs can be fetched`);
  if (url.username !== "" || url.password !== "") {
    if (headers !== undefined && !headers.has("authorization")) {
      headers.set("authorization", `Basic ${base64(`${decodeUserinfo(url.username)}:${decodeUserinfo(url.password)}`)}`);
    }
    url.username = "";
    url.password = "";
  }
  if (url.hash !== "") url.hash = "";
  return url;
}

function tryUrl(raw: string, base?: URL): URL | null {
  try {
    return new URL(raw, base);
  } catch {
    return null;
  }
}

function decodeUserinfo(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, url: string): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) throw new AbortedError(url, signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(url, signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Reads the decoded body chunk by chunk and stops at `maxBytes`: a gzip bomb is decoded only as far as the cap,
 * never whole. With `truncate` the body is cut there (robots.txt); otherwise going over throws BodyTooLarge.
 */
async function readBody(response: Response, maxBytes: number, truncate: boolean): Promise<{ body: Uint8Array; truncated: boolean }> {
  const stream = response.body;
  if (stream === null) return { body: EMPTY, truncated: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > maxBytes) {
      reader.cancel().catch(() => {});
      if (!truncate) throw new BodyTooLarge();
      chunks.push(value.subarray(0, maxBytes - total));
      return { body: concat(chunks, maxBytes), truncated: true };
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return { body: concat(chunks, total), truncated: false };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] ?? EMPTY;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
