/**
 * @module
 * A class's scheduler configuration (SPEC.md §7), one for its sources' scraper runs and one for its items' checks.
 */
import { z } from "zod";

const positive = z.number().positive("must be a positive number");

export const schedulerConfSchema = z
  .strictObject({
    MIN_TIME: positive.describe("minutes"),
    MAX_TIME: positive.describe("minutes"),
    INITIAL_NEXT_ACTION_FACTOR: positive,
    ZERO_ACTIONS_FACTOR_CHANGE: positive,
    FACTOR_CHANGE_FACTOR: positive,
  })
  .refine((c) => c.MIN_TIME <= c.MAX_TIME, { message: "must not be smaller than MIN_TIME", path: ["MAX_TIME"] });

export type SchedulerConf = z.infer<typeof schedulerConfSchema>;

export const SCRAPER_SCHEDULER_DEFAULTS: SchedulerConf = {
  MIN_TIME: 15,
  MAX_TIME: 10080,
  INITIAL_NEXT_ACTION_FACTOR: 10,
  ZERO_ACTIONS_FACTOR_CHANGE: 20,
  FACTOR_CHANGE_FACTOR: 1.3,
};

export const CHECKER_SCHEDULER_DEFAULTS: SchedulerConf = {
  MIN_TIME: 1440,
  MAX_TIME: 10080,
  INITIAL_NEXT_ACTION_FACTOR: 1,
  ZERO_ACTIONS_FACTOR_CHANGE: 5,
  FACTOR_CHANGE_FACTOR: 1.3,
};
