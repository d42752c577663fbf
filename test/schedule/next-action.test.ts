/**
 * The next-action arithmetic of SPEC.md §7: the six known values, the clamps, the factor's rounding, the checker
 * defaults and a class of its own over runs of outcomes, and a long empty stretch.
 */
import { describe, expect, test } from "bun:test";
import { CHECKER_SCHEDULER_DEFAULTS, SCRAPER_SCHEDULER_DEFAULTS, type SchedulerConf } from "../../src/model/scheduler-conf.ts";
import { nextAction, nextActionTime, roundHalfUp, type NextAction, type NextActionState } from "../../src/schedule/next-action.ts";

const S = SCRAPER_SCHEDULER_DEFAULTS;
const C = CHECKER_SCHEDULER_DEFAULTS;

type Case = [label: string, conf: SchedulerConf, success: boolean, state: NextActionState, expected: NextAction];

describe("nextAction", () => {
  test.each<Case>([
    // SPEC §7, scraper defaults: (success, factor, zeros → minutes, factor, zeros).
    ["known: yes, none, 0", S, true, { factor: null, zeros: 0 }, { delayMinutes: 115, factor: 7.692, zeros: 0 }],
    ["known: yes, 13, 9", S, true, { factor: 13, zeros: 9 }, { delayMinutes: 150, factor: 10, zeros: 0 }],
    ["known: yes, 1, 9", S, true, { factor: 1, zeros: 9 }, { delayMinutes: 15, factor: 0.769, zeros: 0 }],
    ["known: no, none, 0", S, false, { factor: null, zeros: 0 }, { delayMinutes: 150, factor: 10, zeros: 1 }],
    ["known: no, 10, 18", S, false, { factor: 10, zeros: 18 }, { delayMinutes: 150, factor: 10, zeros: 19 }],
    ["known: no, 10, 19", S, false, { factor: 10, zeros: 19 }, { delayMinutes: 195, factor: 13, zeros: 0 }],
  ])("%s", (_label, conf, success, state, expected) => {
    expect(nextAction(conf, state, success)).toEqual(expected);
  });

  test.each<Case>([
    // 15 × 0.769 = 11.5 → 12, below MIN_TIME.
    ["below MIN_TIME is raised to it", S, true, { factor: 1, zeros: 0 }, { delayMinutes: 15, factor: 0.769, zeros: 0 }],
    ["exactly MIN_TIME", S, false, { factor: 1, zeros: 0 }, { delayMinutes: 15, factor: 1, zeros: 1 }],
    ["exactly MAX_TIME", S, false, { factor: 672, zeros: 0 }, { delayMinutes: 10080, factor: 672, zeros: 1 }],
    ["above MAX_TIME is lowered to it; the factor itself is not capped", S, false, { factor: 1000, zeros: 19 }, { delayMinutes: 10080, factor: 1300, zeros: 0 }],
    ["checker defaults: below MIN_TIME", C, true, { factor: null, zeros: 3 }, { delayMinutes: 1440, factor: 0.769, zeros: 0 }],
    ["checker defaults: above MAX_TIME", C, false, { factor: 7, zeros: 4 }, { delayMinutes: 10080, factor: 9.1, zeros: 0 }],
  ])("clamps: %s", (_label, conf, success, state, expected) => {
    expect(nextAction(conf, state, success)).toEqual(expected);
  });

  const halving: SchedulerConf = { ...S, FACTOR_CHANGE_FACTOR: 2, ZERO_ACTIONS_FACTOR_CHANGE: 1 };
  const steep: SchedulerConf = { ...S, FACTOR_CHANGE_FACTOR: 2.5 };
  test.each<Case>([
    ["10 ÷ 1.3 = 7.6923… → 7.692", S, true, { factor: null, zeros: 0 }, { delayMinutes: 115, factor: 7.692, zeros: 0 }],
    ["7.692 ÷ 1.3 = 5.91692… → 5.917", S, true, { factor: 7.692, zeros: 0 }, { delayMinutes: 89, factor: 5.917, zeros: 0 }],
    ["10 × 1.3 is 13 exactly", S, false, { factor: 10, zeros: 19 }, { delayMinutes: 195, factor: 13, zeros: 0 }],
    ["13 ÷ 1.3 is 10 exactly", S, true, { factor: 13, zeros: 0 }, { delayMinutes: 150, factor: 10, zeros: 0 }],
    ["a half rounds up: 1.001 ÷ 2 = 0.5005 → 0.501", halving, true, { factor: 1.001, zeros: 0 }, { delayMinutes: 15, factor: 0.501, zeros: 0 }],
    // In binary 0.385 × 2 is 0.77 but 0.385 × 1.3 is 0.5005000000000001: both decimals must round the same way.
    ["a half reached by × rounds up too: 0.385 × 1.3 → 0.501", { ...S, ZERO_ACTIONS_FACTOR_CHANGE: 1 }, false, { factor: 0.385, zeros: 0 }, { delayMinutes: 15, factor: 0.501, zeros: 0 }],
    ["just below a half rounds down: 1.0009998 ÷ 2 → 0.5", halving, true, { factor: 1.0009998, zeros: 0 }, { delayMinutes: 15, factor: 0.5, zeros: 0 }],
    ["a factor never rounds to 0 (0.001 ÷ 2.5)", steep, true, { factor: 0.001, zeros: 0 }, { delayMinutes: 15, factor: 0.001, zeros: 0 }],
    ["a stored 0 counts as none, as in DDS", S, false, { factor: 0, zeros: 0 }, { delayMinutes: 150, factor: 10, zeros: 1 }],
  ])("factor rounding: %s", (_label, conf, success, state, expected) => {
    expect(nextAction(conf, state, success)).toEqual(expected);
  });

  test.each<Case>([
    // The decision: the delay comes from the unrounded factor. 1440 × 3.7128 = 5346.4 → 5346, where the stored
    // 3.713 would give 5346.7 → 5347.
    ["checker defaults, sixth increase", C, false, { factor: 2.856, zeros: 4 }, { delayMinutes: 5346, factor: 3.713, zeros: 0 }],
    // 2000 × 1.0004 = 2000.8 → 2001, where the stored 1.000 would give 2000.
    ["a fractional stored factor", { ...S, MIN_TIME: 2000, MAX_TIME: 100_000 }, false, { factor: 1.0004, zeros: 0 }, { delayMinutes: 2001, factor: 1, zeros: 1 }],
    // 15 × 16.9 is 253.49999999999997 in binary: the delay rounds the decimal 253.5, up.
    ["a half minute rounds up", S, false, { factor: 13, zeros: 19 }, { delayMinutes: 254, factor: 16.9, zeros: 0 }],
  ])("the delay uses the unrounded factor: %s", (_label, conf, success, state, expected) => {
    expect(nextAction(conf, state, success)).toEqual(expected);
  });

  /** Feeds outcomes through nextAction from a never-run runtime, as the scheduler would over successive runs. */
  function run(conf: SchedulerConf, outcomes: readonly boolean[]): NextAction[] {
    let state: NextActionState = { factor: null, zeros: 0 };
    return outcomes.map((success) => {
      const next = nextAction(conf, state, success);
      state = { factor: next.factor, zeros: next.zeros };
      return next;
    });
  }
  const row = (delayMinutes: number, factor: number, zeros: number): NextAction => ({ delayMinutes, factor, zeros });

  test("checker defaults (1440, 10080, 1, 5, 1.3) over a run of checks", () => {
    const outcomes = [false, false, false, false, false, false, false, false, false, false, true, true, false];
    expect(run(C, outcomes)).toEqual([
      row(1440, 1, 1),
      row(1440, 1, 2),
      row(1440, 1, 3),
      row(1440, 1, 4),
      row(1872, 1.3, 0), // fifth miss: × 1.3
      row(1872, 1.3, 1),
      row(1872, 1.3, 2),
      row(1872, 1.3, 3),
      row(1872, 1.3, 4),
      row(2434, 1.69, 0), // 1440 × 1.69 = 2433.6
      row(1872, 1.3, 0), // a deletion (success) ÷ 1.3
      row(1440, 1, 0),
      row(1440, 1, 1),
    ]);
  });

  test("a class with its own configuration", () => {
    const own: SchedulerConf = { MIN_TIME: 60, MAX_TIME: 720, INITIAL_NEXT_ACTION_FACTOR: 2, ZERO_ACTIONS_FACTOR_CHANGE: 3, FACTOR_CHANGE_FACTOR: 2 };
    const outcomes = [false, false, false, false, false, false, false, false, false, true, true, true, true, true];
    expect(run(own, outcomes)).toEqual([
      row(120, 2, 1),
      row(120, 2, 2),
      row(240, 4, 0),
      row(240, 4, 1),
      row(240, 4, 2),
      row(480, 8, 0),
      row(480, 8, 1),
      row(480, 8, 2),
      row(720, 16, 0), // 960 clamped
      row(480, 8, 0),
      row(240, 4, 0),
      row(120, 2, 0),
      row(60, 1, 0),
      row(60, 0.5, 0), // 30 clamped
    ]);
  });

  test("100 empty runs with the scraper defaults widen the interval only every 20th run", () => {
    const results = run(S, Array.from({ length: 100 }, () => false));
    const changes = results.flatMap((r, i) => (i === 0 || r.delayMinutes !== results[i - 1]!.delayMinutes ? [[i + 1, r.delayMinutes, r.factor]] : []));
    expect(changes).toEqual([
      [1, 150, 10],
      [20, 195, 13],
      [40, 254, 16.9], // 253.5
      [60, 330, 21.97], // 329.55
      [80, 428, 28.561], // 428.415
      [100, 557, 37.129], // 556.9395
    ]);
    expect(results.map((r) => r.zeros)).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) % 20));
  });

  test("a long empty stretch reaches MAX_TIME and stays there; as many successes bring it back", () => {
    const empty = run(S, Array.from({ length: 1000 }, () => false));
    expect(Math.max(...empty.map((r) => r.delayMinutes))).toBe(S.MAX_TIME);
    // 15 × 10 × 1.3^n first passes 10080 at n = 17 (9981 at n = 16): the 340th empty run.
    expect(empty.findIndex((r) => r.delayMinutes === S.MAX_TIME) + 1).toBe(340);
    expect(empty.slice(339).every((r) => r.delayMinutes === S.MAX_TIME)).toBe(true);
    // The factor is not capped (SPEC clamps only the delay): 50 increases are remembered, so it takes 34
    // successes to come under MAX_TIME again and 59 to reach MIN_TIME.
    let state: NextActionState = empty.at(-1)!;
    const delays: number[] = [];
    for (let i = 0; i < 60; i++) {
      const next = nextAction(S, state, true);
      delays.push(next.delayMinutes);
      state = next;
    }
    expect(delays.every((d, i) => i === 0 || d <= delays[i - 1]!)).toBe(true);
    expect(delays.findIndex((d) => d < S.MAX_TIME) + 1).toBe(34);
    expect(delays.indexOf(S.MIN_TIME) + 1).toBe(59);
  });

  test("many successes in a row settle at a small positive factor, and misses raise it again", () => {
    const busy = run(S, Array.from({ length: 200 }, () => true));
    expect(busy.at(-1)).toEqual(row(15, 0.002, 0)); // 0.002 ÷ 1.3 = 0.0015… rounds back to 0.002
    let state: NextActionState = busy.at(-1)!;
    for (let i = 0; i < 20; i++) state = nextAction(S, state, false);
    expect(state.factor).toBe(0.003);
  });
});

describe("nextActionTime", () => {
  const now = new Date("2030-01-01T00:00:00.000Z");
  test.each<[number, string]>([
    [115, "2030-01-01T01:55:00.000Z"],
    [10080, "2030-01-08T00:00:00.000Z"],
    [0.5, "2030-01-01T00:00:30.000Z"], // a class may set a fractional MIN_TIME
    [1 / 3, "2030-01-01T00:00:20.000Z"],
  ])("%p minutes after now", (minutes, expected) => {
    expect(nextActionTime(now, minutes).toISOString()).toBe(expected);
  });
});

describe("roundHalfUp", () => {
  test.each<[number, number, number]>([
    [7.6923076923076925, 3, 7.692],
    [0.5005, 3, 0.501], // 500.49999999999994 once scaled
    [0.385 * 1.3, 3, 0.501], // 500.50000000000006 once scaled
    [2.0005, 3, 2.001],
    [1.0004999, 3, 1],
    [115.38461538461539, 0, 115],
    [15 * 16.9, 0, 254], // 253.49999999999997
    [11.5, 0, 12],
    [0, 3, 0],
  ])("%p to %p places is %p", (x, decimals, expected) => {
    expect(roundHalfUp(x, decimals)).toBe(expected);
  });
});
