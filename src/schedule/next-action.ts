/**
 * @module
 * The next-action arithmetic of SPEC.md §7 (DDS `Scheduler.calc_next_action_time`): after a scheduled run, how
 * long a source's scraper runtime or an item's checker runtime waits, and the factor and zero-run count it keeps.
 * Pure: the caller reads the runtime and the class's configuration, and writes the result back.
 */
import type { SchedulerConf } from "../model/scheduler-conf.ts";

/** What a runtime row remembers between runs (`next_action_factor`, `num_zero_actions`). */
export interface NextActionState {
  /** The stored factor; null (never run) starts from INITIAL_NEXT_ACTION_FACTOR. */
  readonly factor: number | null;
  readonly zeros: number;
}

/** The outcome of one run: the wait before the next one, and the state to store. */
export interface NextAction {
  /** round(MIN_TIME × factor) clamped to [MIN_TIME, MAX_TIME]; whole minutes unless a bound is fractional. */
  readonly delayMinutes: number;
  /** The factor to store, rounded to 3 decimals. */
  readonly factor: number;
  readonly zeros: number;
}

/** The smallest factor stored: the next three-decimal step above 0. */
const FACTOR_FLOOR = 0.001;

/**
 * One run's effect on a runtime. `success` is a scraper run that saved a new item or updated a `T` value, or a
 * check that deleted its item.
 *
 * The delay is computed from the factor before it is rounded for storage: SPEC §7 step 4 derives the delay from
 * the factor of steps 1–3 and rounds only what is stored, as DDS derives it from its full-precision factor. The
 * two readings differ by at most a minute, and only when MIN_TIME × the rounding error crosses a half minute
 * (checker defaults, the sixth factor increase: 1440 × 3.7128 = 5346.4 → 5346, where 1440 × 3.713 would give 5347).
 *
 * Two guards the SPEC leaves implicit, neither reachable with the default configurations' six known values:
 * - a stored factor of 0 counts as none (DDS tests `if not factor`), so an imported or hand-edited 0 restarts
 *   from INITIAL instead of pinning the runtime;
 * - the stored factor never rounds down to 0 (possible when FACTOR_CHANGE_FACTOR > 2: 0.001 ÷ 2.5 = 0.0004),
 *   because 0 is a fixed point of both ÷ and × and the runtime would never back off again.
 */
export function nextAction(conf: SchedulerConf, state: NextActionState, success: boolean): NextAction {
  let factor = state.factor !== null && state.factor > 0 ? state.factor : conf.INITIAL_NEXT_ACTION_FACTOR;
  let zeros = state.zeros;
  if (success) {
    zeros = 0;
    factor /= conf.FACTOR_CHANGE_FACTOR;
  } else {
    zeros += 1;
    if (zeros >= conf.ZERO_ACTIONS_FACTOR_CHANGE) {
      zeros = 0;
      factor *= conf.FACTOR_CHANGE_FACTOR;
    }
  }
  const delayMinutes = Math.min(conf.MAX_TIME, Math.max(conf.MIN_TIME, roundHalfUp(conf.MIN_TIME * factor, 0)));
  return { delayMinutes, factor: Math.max(FACTOR_FLOOR, roundHalfUp(factor, 3)), zeros };
}

/** When the next run is due: `delayMinutes` after `now`, to the millisecond. */
export function nextActionTime(now: Date, delayMinutes: number): Date {
  return new Date(now.getTime() + Math.round(delayMinutes * 60_000));
}

/**
 * `x` (≥ 0) rounded half up to `decimals` places as its decimal value would be. Binary arithmetic leaves noise in
 * the last digits: 0.5005 × 1000 is 500.49999999999994 but 0.385 × 1.3 × 1000 is 500.50000000000006, so a plain
 * `Math.round(x * 1000) / 1000` rounds the same decimal 0.5005 down or up depending on how it was reached. The
 * scaled value is first cut to 12 significant digits, above the noise and far below any factor's or delay's
 * precision, so every way of reaching a decimal value rounds it the same way.
 */
export function roundHalfUp(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(Number((x * scale).toPrecision(12))) / scale;
}
