/**
 * Simulated time for tests: a clock and a `sleep` that only move when the test says so, so that leases,
 * heartbeats and schedules are driven step by step and never depend on how fast the machine is.
 */
import type { Clock } from "../../src/ports.ts";

export interface TestTime {
  clock: Clock;
  /** Resolves once the test has advanced the clock by `ms` (or at once when `signal` aborts). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Moves the clock on and wakes the sleepers whose time has come, in wake-up order. */
  advance(ms: number): void;
  /** Sleepers not woken yet. */
  readonly sleeping: number;
}

export function testTime(start: number): TestTime {
  let now = start;
  let sleepers: { at: number; wake: () => void }[] = [];
  return {
    clock: { now: () => new Date(now) },
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const sleeper = { at: now + ms, wake: resolve };
        sleepers.push(sleeper);
        signal.addEventListener(
          "abort",
          () => {
            sleepers = sleepers.filter((s) => s !== sleeper);
            resolve();
          },
          { once: true },
        );
      });
    },
    advance(ms) {
      now += ms;
      const due = sleepers.filter((s) => s.at <= now).sort((a, b) => a.at - b.at);
      sleepers = sleepers.filter((s) => s.at > now);
      for (const s of due) s.wake();
    },
    get sleeping() {
      return sleepers.length;
    },
  };
}

/** Waits (in small real steps) until `condition` holds; the test's own timeout bounds it. */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await Bun.sleep(2);
}
