/**
 * @module
 * robots.txt per origin: fetched once (concurrent requests join the same fetch), kept for a TTL, and shared by
 * every Fetcher of the process with the same user agent — the same crawl often runs as several jobs. The status
 * rules of RFC 9309 §2.3 live here; parsing is robots.ts.
 */
import { AbortedError, describeCause, NetworkError, RobotsDisallowedError, TimeoutError } from "./errors.ts";
import { MAX_HOSTS_KEPT } from "./host-scheduler.ts";
import { ALLOW_ALL, DISALLOW_ALL, parseRobots, productToken, type RobotsRules } from "./robots.ts";
import { tryUrl } from "./target.ts";

export interface RobotsEntry {
  readonly rules: RobotsRules;
  /** Why everything is disallowed, when robots.txt could not be fetched. */
  readonly problem?: string;
  /** The host did not answer at all: its pages fail with this kind of error rather than as disallowed. */
  readonly failure?: NetworkError | TimeoutError;
  /** From a robots.txt that was read, as opposed to a status-code verdict. */
  readonly read: boolean;
  readonly expires: number;
}

/** One GET of robots.txt as the fetcher answers it: retried, size-capped and truncated, redirects not followed. */
export interface RobotsAnswer {
  status: number;
  body: Uint8Array;
  truncated: boolean;
  /** Undefined unless a redirect; null for a redirect without a Location. */
  location: string | null | undefined;
}

export interface RobotsCacheOptions {
  userAgent: string;
  /** How long a robots.txt (or a status verdict) is kept. */
  ttlMs: number;
  now: () => number;
  get: (url: URL) => Promise<RobotsAnswer>;
  /** Told of each verdict: the status that decided it (0: no answer). */
  onVerdict: (host: string, status: number) => void;
}

/** An unreachable robots.txt is asked again after this long (or the TTL when shorter), not after the whole TTL. */
const ROBOTS_RETRY_MS = 60_000;
const ROBOTS_MAX_REDIRECTS = 5;

const caches = new Map<string, Map<string, RobotsEntry | Promise<RobotsEntry>>>();

export class RobotsCache {
  private readonly entries: Map<string, RobotsEntry | Promise<RobotsEntry>>;

  constructor(private readonly options: RobotsCacheOptions) {
    let entries = caches.get(options.userAgent);
    if (entries === undefined) caches.set(options.userAgent, (entries = new Map()));
    this.entries = entries;
  }

  /** The cached entry of the URL's origin when still fresh (the common case, without a promise). */
  fresh(url: URL): RobotsEntry | undefined {
    const cached = this.entries.get(url.origin);
    if (cached === undefined || cached instanceof Promise || cached.expires <= this.options.now()) return undefined;
    return cached;
  }

  /** Fetches robots.txt, or joins the fetch already under way for that origin; `signal` only stops this caller waiting. */
  async load(url: URL, signal: AbortSignal | undefined): Promise<RobotsEntry> {
    const origin = url.origin;
    const cached = this.entries.get(origin);
    let pending: Promise<RobotsEntry>;
    if (cached instanceof Promise) pending = cached;
    else {
      if (this.entries.size >= MAX_HOSTS_KEPT) this.sweep();
      // Not tied to the caller's signal: other requests to the host may be waiting for the same answer.
      pending = this.fetchEntry(url, cached).then((loaded) => {
        this.entries.set(origin, loaded);
        return loaded;
      });
      this.entries.set(origin, pending);
    }
    return untilAborted(pending, signal, url.href);
  }

  /** Throws the typed error for a URL that `entry` does not allow. */
  check(url: URL, entry: RobotsEntry): void {
    if (entry.rules.isAllowed(url.pathname + url.search)) return;
    // A host that does not answer is down, not forbidding: callers (a checker, the retry policy) must see that.
    const { failure } = entry;
    if (failure instanceof TimeoutError) throw new TimeoutError(url.href, failure.attempts, failure.timeoutMs, `${url.href}: ${entry.problem}`);
    if (failure instanceof NetworkError) throw new NetworkError(url.href, failure.attempts, failure.cause, `${url.href}: ${entry.problem}`);
    throw new RobotsDisallowedError(
      url.href,
      entry.problem !== undefined
        ? `${url.href}: ${entry.problem}`
        : `${url.href}: disallowed by ${url.origin}/robots.txt for user agent "${productToken(this.options.userAgent)}"`,
    );
  }

  private sweep(): void {
    const now = this.options.now();
    for (const [origin, entry] of this.entries) if (!(entry instanceof Promise) && entry.expires <= now) this.entries.delete(origin);
  }

  /** RFC 9309 §2.3: 2xx is read, 4xx allows everything, 5xx or no answer disallows everything. Never rejects. */
  private async fetchEntry(url: URL, previous: RobotsEntry | undefined): Promise<RobotsEntry> {
    const { origin, host } = url;
    const { ttlMs, now, onVerdict } = this.options;
    const verdict = (status: number, rules: RobotsRules): RobotsEntry => {
      onVerdict(host, status);
      return { rules, read: false, expires: now() + ttlMs };
    };
    const unreachable = (status: number, why: string, failure?: NetworkError | TimeoutError): RobotsEntry => {
      onVerdict(host, status);
      const expires = now() + Math.min(ttlMs, ROBOTS_RETRY_MS);
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
        const r = await this.options.get(target);
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
          onVerdict(host, r.status);
          let bytes = r.body;
          // A line cut in half by the size cap could read as a shorter, broader rule: drop it.
          if (r.truncated) bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
          const rules = parseRobots(new TextDecoder().decode(bytes), this.options.userAgent);
          return { rules, read: true, expires: now() + ttlMs };
        }
        // 429 is a 4xx, but it says "slow down", not "there is no robots.txt": treat it like a server error.
        if (r.status === 429 || r.status >= 500) return unreachable(r.status, `HTTP ${r.status}`);
        return verdict(r.status, ALLOW_ALL);
      }
    } catch (e) {
      const failure = e instanceof NetworkError || e instanceof TimeoutError ? e : undefined;
      return unreachable(0, failure ? failure.message.slice(failure.url.length + 2) : describeCause(e), failure);
    }
  }
}

/** `promise`, or AbortedError as soon as `signal` fires (the promise itself goes on for whoever else waits on it). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, url: string): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError(url, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(url, signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
