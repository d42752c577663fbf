/**
 * @module
 * Politeness across isolates. Every request the Worker's fetcher makes goes through {@link HostGate.fetchFn}: it
 * first claims a lane of the request's host in the database (`host_slots`: one conditional UPDATE; see
 * src/db/host-slots.ts), waiting in the isolate when the host frees up soon, and giving up with {@link HostBusy}
 * when it does not (the message is then re-sent with `delaySeconds`); the lane is given back with the caller's next
 * database batch, and the host's delay runs again from then — or from a Retry-After. robots.txt answers come from
 * the database when another isolate fetched them already (`robots_cache`), and their Crawl-delay lengthens the
 * host's delay.
 *
 * A gate belongs to one invocation; `holder` names the step it works for (the step's lease token), so that the
 * step's own next request (a redirect, the page after its robots.txt) takes the lane it holds, after the delay.
 */
import type { Database } from "../src/db/connect.ts";
import { cachedRobots, claimHostSlot, hostRelease, saveRobots, type RobotsAnswerRow } from "../src/db/host-slots.ts";
import type { Statement } from "../src/db/statements.ts";
import type { FetchFn, FetchSettings } from "../src/fetch/fetcher.ts";
import { readBody } from "../src/fetch/body.ts";
import { RetryPolicy } from "../src/fetch/retry.ts";
import { parseRobots, ROBOTS_MAX_BYTES } from "../src/fetch/robots.ts";
import { BudgetSpent, type Budget } from "./budget.ts";

/** The host is taken (or its delay runs) for longer than the invocation may wait: try again after `waitMs`. */
export class HostBusy extends Error {
  constructor(
    readonly host: string,
    readonly waitMs: number,
  ) {
    super(`host ${host} is busy for another ${waitMs} ms`);
    this.name = "HostBusy";
  }
}

export interface GateOptions {
  database: Database;
  budget: Budget;
  settings: Pick<FetchSettings, "perHost" | "delayMs" | "timeoutMs" | "obeyRobots" | "robotsTtlMs" | "userAgent" | "maxRetryAfterMs">;
  /** The longest wait for a host spent in the isolate; a longer one ends the step with HostBusy. */
  maxWaitMs: number;
  sleep(ms: number): Promise<void>;
  now?: () => number;
}

/** How long to wait before asking again for a host whose lanes are all taken. */
const BUSY_POLL_MS = 250;
/** Crawl-delays by origin, as read from robots.txt in this isolate (the fetcher's own robots cache is per isolate too). */
const crawlDelays = new Map<string, { ms: number; until: number }>();

export class HostGate {
  /** The step the next requests are for; empty: each request is its own holder (requests that run at once). */
  holder = "";
  /** Told when the gate gives up on a request (HostBusy, or the budget): the step's signal is aborted with it. */
  onGiveUp: (reason: Error) => void = () => {};
  /** The Retry-After of the last answer that asked to come back later, in ms. */
  retryAfterMs: number | undefined;
  /** The longest wait for a host spent in the isolate. */
  maxWaitMs: number;
  /**
   * Subrequests that must be left after a request (what its caller does with the answer, e.g. writing an image's
   * files): the gate gives up rather than spend them on claims and robots.txt.
   */
  reserve = 1;
  private pending: Statement[] = [];
  private readonly retry: RetryPolicy;
  private readonly now: () => number;

  constructor(private readonly options: GateOptions) {
    this.retry = new RetryPolicy({ attempts: 1, backoffMs: 0, maxRetryAfterMs: options.settings.maxRetryAfterMs }, Math.random);
    this.now = options.now ?? Date.now;
    this.maxWaitMs = options.maxWaitMs;
  }

  /** A statement to write with the next round trip (a release of the caller's own). */
  defer(statement: Statement): void {
    this.pending.push(statement);
  }

  /** The releases (and robots.txt answers) waiting to be written: the caller sends them with its next batch. */
  takePending(): Statement[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Whether this isolate has read the origin's robots.txt lately (the fetcher will not ask for it again). */
  knowsRobots(origin: string): boolean {
    const known = crawlDelays.get(origin);
    return known !== undefined && known.until > this.now();
  }

  /** Whether requests to the origin's host wait longer than the configured delay (robots.txt Crawl-delay). */
  delayFor(origin: string): number {
    const known = crawlDelays.get(origin);
    return Math.max(this.options.settings.delayMs, known && known.until > this.now() ? known.ms : 0);
  }

  readonly fetchFn: FetchFn = async (input, init) => {
    const url = new URL(input);
    const robots = this.options.settings.obeyRobots && url.pathname === "/robots.txt" && url.search === "" && (init.method ?? "GET") === "GET";
    if (robots) {
      const cached = await this.guard(() => cachedRobots(this.options.database, url.origin, new Date(this.now())));
      if (cached) return this.cachedRobots(url.origin, cached);
    }
    const holder = this.holder || crypto.randomUUID();
    if (!this.options.budget.affords(this.reserve + 2)) throw this.giveUp(new BudgetSpent("fetches"));
    // For robots.txt, the claim looks again: another isolate may have stored it while this one waited for the host.
    const stored = await this.claim(url, holder, robots ? url.origin : undefined);
    if (stored) {
      this.pending.push(hostRelease(url.host, holder, 0));
      return this.cachedRobots(url.origin, stored);
    }
    let pauseMs = 0;
    try {
      this.spend("fetches");
      const response = await this.options.budget.waiting(() => fetch(input, init));
      if (this.retry.retriesStatus(response.status)) {
        pauseMs = this.retry.retryAfterMs(response.headers, this.now()) ?? 0;
        this.retryAfterMs = pauseMs || undefined;
      }
      if (robots && response.status < 500 && response.status !== 429) return await this.keepRobots(url.origin, response);
      return response;
    } finally {
      this.pending.push(hostRelease(url.host, holder, this.delayFor(url.origin), pauseMs));
    }
  };

  private cachedRobots(origin: string, cached: RobotsAnswerRow): Response {
    this.noteCrawlDelay(origin, cached.status, cached.body);
    return new Response(cached.status >= 200 && cached.status < 300 ? cached.body : null, { status: cached.status, headers: cached.location ? { location: cached.location } : {} });
  }

  /** Claims a lane of the URL's host, waiting in the isolate for short waits; with `robotsOf`, the stored robots.txt. */
  private async claim(url: URL, holder: string, robotsOf?: string): Promise<RobotsAnswerRow | undefined> {
    const { settings } = this.options;
    const maxWaitMs = this.maxWaitMs;
    const started = this.now();
    for (;;) {
      // The releases still pending (this invocation's earlier steps) go first: they may free the very lane.
      const before = this.takePending();
      const claimed = await this.guard(async () => {
        try {
          return await claimHostSlot(this.options.database, { host: url.host, lanes: settings.perHost, holder, delayMs: this.delayFor(url.origin), leaseMs: settings.timeoutMs + 30_000 }, before, robotsOf);
        } catch (e) {
          this.pending.unshift(...before);
          throw e;
        }
      });
      if ("lane" in claimed) return claimed.robots;
      const wait = claimed.reason === "busy" ? BUSY_POLL_MS : claimed.waitMs;
      // Each look costs a round trip: wait in the isolate only while the wait is short and a look is affordable.
      if (this.now() - started + wait > maxWaitMs || !this.options.budget.affords(this.reserve + 2)) throw this.giveUp(new HostBusy(url.host, Math.max(wait, claimed.waitMs)));
      await this.options.sleep(wait);
    }
  }

  private async keepRobots(origin: string, response: Response): Promise<Response> {
    const location = response.headers.get("location");
    // Cut at the fetcher's own cap for robots.txt, and at a line end (as the fetcher does with a cut body).
    let body = "";
    if (response.status >= 200 && response.status < 300) {
      const read = await readBody(response, ROBOTS_MAX_BYTES, true);
      const bytes = read.truncated ? read.body.subarray(0, read.body.lastIndexOf(0x0a) + 1) : read.body;
      body = new TextDecoder().decode(bytes);
    } else await response.body?.cancel();
    this.noteCrawlDelay(origin, response.status, body);
    this.pending.push(saveRobots(origin, { status: response.status, location, body }, new Date(this.now() + this.options.settings.robotsTtlMs)));
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    headers.delete("content-encoding");
    return new Response(body || null, { status: response.status, headers });
  }

  private noteCrawlDelay(origin: string, status: number, body: string): void {
    const ms = status >= 200 && status < 300 ? (parseRobots(body, this.options.settings.userAgent).crawlDelayMs ?? 0) : 0;
    crawlDelays.set(origin, { ms, until: this.now() + this.options.settings.robotsTtlMs });
  }

  private spend(kind: "fetches"): void {
    try {
      this.options.budget.spend(kind);
    } catch (e) {
      throw this.giveUp(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** A database call of the gate: the budget running out ends the step (its signal), not just this request. */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw this.giveUp(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private giveUp(reason: Error): Error {
    this.onGiveUp(reason);
    return reason;
  }
}
