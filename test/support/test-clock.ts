/**
 * Time for the fetcher that never waits for the real clock, so that a loaded machine cannot change what a test
 * sees, and helpers to hold and release requests. With a `testClock`, a test asserts the sleeps the fetcher asked
 * for and the (virtual) times at which it started requests — never how long something took.
 */
import type { FetchFn } from "../../src/fetch/fetcher.ts";

/** A whole second: HTTP-dates (Retry-After) have whole seconds. */
export const CLOCK_START = Date.UTC(2025, 0, 1);

export interface TestClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Every sleep asked for, in order (aborted ones too). */
  readonly sleeps: number[];
  /** Resolves when a sleep is pending (at once if one is). */
  sleeping(): Promise<void>;
}

/**
 * `advance` (default): a sleep ends on the next turn of the event loop, the clock moved to its end (never back).
 * Virtual time passes only in sleeps, so request starts are spaced exactly by what the fetcher waited for.
 * `hold`: a sleep never ends by itself, only by its signal — for showing that an abort ends a wait.
 */
export function testClock(mode: "advance" | "hold" = "advance", start = CLOCK_START): TestClock {
  let now = start;
  const sleeps: number[] = [];
  let pending = 0;
  let onSleep: (() => void)[] = [];
  return {
    now: () => now,
    sleeps,
    sleeping: () => (pending > 0 ? Promise.resolve() : new Promise<void>((resolve) => onSleep.push(resolve))),
    sleep(ms, signal) {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.reject(signal.reason);
      const end = now + ms;
      return new Promise<void>((resolve, reject) => {
        pending++;
        const done = () => {
          pending--;
          signal?.removeEventListener("abort", onAbort);
        };
        const onAbort = () => {
          done();
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        for (const f of onSleep.splice(0)) f();
        if (mode === "hold") return;
        setImmediate(() => {
          if (signal?.aborted) return;
          done();
          now = Math.max(now, end);
          resolve();
        });
      });
    },
  };
}

/** One turn of the event loop: every promise callback queued so far has run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits turn by turn until `condition` holds (a test that never gets there ends at the runner's timeout). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await tick();
}

/** A promise the test resolves: a route that answers only when told, or a request held before it is sent. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Whether a promise has settled yet, without waiting for it. */
export function settledFlag(promise: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** The platform's fetch, recording the clock's time when the fetcher starts each request. */
export function timedFetch(clock: TestClock): { fetchFn: FetchFn; starts: (path: string) => number[] } {
  const started: { path: string; at: number }[] = [];
  return {
    fetchFn: (input, init) => {
      started.push({ path: new URL(input).pathname, at: clock.now() });
      return fetch(input, init);
    },
    starts: (path) => started.filter((s) => (path.endsWith("*") ? s.path.startsWith(path.slice(0, -1)) : s.path === path)).map((s) => s.at),
  };
}

/**
 * The platform's fetch behind a gate: requests the fetcher starts are counted (per host too) and held until
 * `open()`. What the fetcher has started by a given turn is then exact, however slow the machine.
 */
export function gatedFetch(): { fetchFn: FetchFn; calls: string[]; most: () => number; mostTo: (origin: string) => number; open: () => void } {
  const { promise, open } = gate();
  const calls: string[] = [];
  let inFlight = 0;
  let most = 0;
  const perHost = new Map<string, { now: number; most: number }>();
  return {
    calls,
    open,
    most: () => most,
    mostTo: (origin) => perHost.get(origin)?.most ?? 0,
    fetchFn: async (input, init) => {
      calls.push(input);
      const origin = new URL(input).origin;
      const host = perHost.get(origin) ?? { now: 0, most: 0 };
      perHost.set(origin, host);
      most = Math.max(most, ++inFlight);
      host.most = Math.max(host.most, ++host.now);
      try {
        await promise;
        return await fetch(input, init);
      } finally {
        inFlight--;
        host.now--;
      }
    },
  };
}

/** Sequential gaps between times. */
export function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] ?? 0));
}
