/**
 * @module
 * Who may start a request now. A request first waits for its host (FIFO, `perHost` in flight, `delayMs` since the
 * host's last start, a Retry-After pause), then, holding its host's turn, for a global slot (FIFO across hosts,
 * `concurrency` in flight). Holding the host's turn while waiting globally keeps the delay measured between real
 * starts; queueing by host first keeps one slow host from blocking the global queue. Nothing polls: releases,
 * one timer per waiting host and aborts move the queues. Time comes from the injected `now` and `sleep`.
 */
import { AbortedError } from "./errors.ts";
import type { Sleep } from "./sleep.ts";

export interface SchedulerLimits {
  /** Requests in flight in total. */
  concurrency: number;
  /** Requests in flight per host (`hostname:port`). */
  perHost: number;
  /** Minimum gap between request starts to one host, unless a host's own delay (Crawl-delay) is longer. */
  delayMs: number;
}

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

/** One host's turn-taking state; handed out by `host()` and given back to `acquire`/`release`/`pause`. */
export class HostState {
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

/** Idle hosts are forgotten beyond this many, so that a crawl across many sites does not grow without bound. */
export const MAX_HOSTS_KEPT = 1024;

export class HostScheduler {
  private readonly hosts = new Map<string, HostState>();
  /** Waiters that hold their host's turn and wait for a global slot, oldest first. */
  private readonly ready = new WaitList();
  private active = 0;

  constructor(
    private readonly limits: Readonly<SchedulerLimits>,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {}

  /** The state of the URL's host (`hostname:port`); look it up again after any wait, as idle hosts are swept. */
  host(url: URL): HostState {
    const key = url.host;
    let host = this.hosts.get(key);
    if (host === undefined) {
      if (this.hosts.size >= MAX_HOSTS_KEPT) this.sweep();
      host = new HostState(this.limits.delayMs);
      this.hosts.set(key, host);
    }
    return host;
  }

  /** Sets the host's gap between starts: the longer of `delayMs` and its robots.txt Crawl-delay. */
  setCrawlDelay(url: URL, crawlDelayMs: number | undefined): void {
    const host = this.host(url);
    const delay = Math.max(this.limits.delayMs, crawlDelayMs ?? 0);
    if (host.delayMs !== delay) host.delayMs = delay;
  }

  /** Holds every request to the host until `until` (a Retry-After), unless it is already held longer. */
  pause(host: HostState, until: number): void {
    host.blockedUntil = Math.max(host.blockedUntil, until);
  }

  /**
   * Waits for the host's turn and a global slot. Undefined when the request may start at once (the common case:
   * no promise, no timer); otherwise a promise that rejects with AbortedError when `signal` fires first. Every
   * start must be followed by one `release`.
   */
  acquire(host: HostState, url: string, signal: AbortSignal | undefined): Promise<void> | undefined {
    if (signal?.aborted) return Promise.reject(new AbortedError(url, signal.reason));
    if (
      host.waiting.head === undefined &&
      host.ready === undefined &&
      host.active < this.limits.perHost &&
      this.active < this.limits.concurrency &&
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

  release(host: HostState): void {
    host.active--;
    this.active--;
    const next = this.ready.head;
    if (next !== undefined && this.active < this.limits.concurrency) {
      this.ready.remove(next);
      next.inGlobal = false;
      next.host.ready = undefined;
      this.grant(next);
      if (next.host !== host) this.pump(next.host);
    }
    this.pump(host);
  }

  private sweep(): void {
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
    while (host.ready === undefined && host.active < this.limits.perHost) {
      const waiter = host.waiting.head;
      if (waiter === undefined) return;
      const wait = this.hostWait(host);
      if (wait > 0) return this.wake(host, wait);
      host.waiting.remove(waiter);
      if (this.active < this.limits.concurrency && this.ready.head === undefined) {
        this.grant(waiter);
      } else {
        waiter.inGlobal = true;
        host.ready = waiter;
        this.ready.push(waiter);
      }
    }
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
