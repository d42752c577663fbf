/**
 * @module
 * A crawl run's plan: the definitions and options it started with, stored with the run (every step reads the
 * same, whatever changes meanwhile) and kept by each isolate for the runs it works for, with the step context
 * compiled from it (the page reader's compiled expressions).
 */
import { stepContext, type StepContext } from "../../src/crawl/page-step.ts";
import type { Fetcher } from "../../src/fetch/fetcher.ts";
import type { CrawlDefinitions } from "../../src/jobs/definitions.ts";
import type { ProcessorEnv } from "../../src/expressions/processors.ts";
import type { RunOptions } from "../../src/model/run-options.ts";

export interface RunPlan {
  defs: CrawlDefinitions;
  options: RunOptions;
}

/** A plan as read back from the run's row (written by {@link planRecord}). */
export function planFromRecord(record: Record<string, unknown>): RunPlan {
  const { defs, options } = record as { defs?: CrawlDefinitions; options?: RunOptions };
  if (defs === undefined || options === undefined) throw new Error("the run's plan is incomplete (defs and options expected)");
  return { defs, options };
}

export function planRecord(plan: RunPlan): Record<string, unknown> {
  return { defs: plan.defs, options: plan.options };
}

export interface KnownPlan {
  plan: RunPlan;
  ctx: StepContext;
}

/** Plans of the runs this isolate worked for lately, by job id (oldest forgotten first). */
const known = new Map<number, KnownPlan>();
const KEPT = 32;

export function knownPlan(jobId: number): KnownPlan | undefined {
  return known.get(jobId);
}

/**
 * The plan with a step context over this invocation's fetcher. The compiled reader is kept for the isolate's next
 * invocations (it holds no state of a page); the context itself is this invocation's, since invocations of one
 * isolate may run at once.
 */
export function usePlan(jobId: number, plan: RunPlan, fetcher: Pick<Fetcher, "fetch">, env: ProcessorEnv): KnownPlan {
  let kept = known.get(jobId);
  if (!kept) {
    kept = { plan, ctx: stepContext({ classBody: plan.defs.classBody, scraperBody: plan.defs.scraperBody }, plan.options, fetcher, env) };
    known.set(jobId, kept);
    if (known.size > KEPT) known.delete(known.keys().next().value!);
  }
  return { plan: kept.plan, ctx: { ...kept.ctx, fetcher } };
}
