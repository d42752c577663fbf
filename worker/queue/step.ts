/**
 * @module
 * What a crawl step's handling shares: the claimed step, its run's plan and step context, its run state, its log,
 * and the helpers that hand the step on (budget spent, host busy) or send the pages it planned.
 */
import type { DatabaseRunState, StepTask } from "../../src/crawl/database-run-state.ts";
import type { ItemRead } from "../../src/crawl/item.ts";
import type { StepContext } from "../../src/crawl/page-step.ts";
import type { ClaimedStep, StepToSend } from "../../src/db/runs.ts";
import { JobLog, levelAtLeast } from "../../src/jobs/log.ts";
import type { LogLevel } from "../../src/model/enums.ts";
import type { PipelineCounts } from "../../src/model/job-stats.ts";
import { BudgetSpent } from "../budget.ts";
import { HostBusy } from "../politeness.ts";
import { logLine, outboxRoom, type Invocation } from "./invocation.ts";
import { carry, type Message, type Outcome, type StepMessage } from "./messages.ts";
import type { RunPlan } from "./plan.ts";

export interface Step {
  inv: Invocation;
  msg: StepMessage;
  /** The step's lease token. */
  token: string;
  claim: ClaimedStep<ItemRead, StepTask>;
  plan: RunPlan;
  ctx: StepContext;
  state: DatabaseRunState;
  log: StepLog;
}

/** The step's log: lines printed at once (Workers Logs), rows at or above the configured level kept for the database. */
export class StepLog {
  private readonly rows: JobLog;
  /** Lines waiting to be stored. */
  stored = 0;

  constructor(
    inv: Invocation,
    ids: { job_id: number; source_id: number | null; scraper_id: number | null },
    private readonly level: LogLevel,
  ) {
    this.rows = new JobLog(inv.database, ids, {
      level,
      limit: inv.settings.log.limit,
      clock: inv.clock,
      sink: (r) => logLine(r.level, r.msg, { job_id: r.job_id, source_id: r.source_id, scraper_id: r.scraper_id, ...(r.ref_object ? { ref: r.ref_object } : {}) }),
    });
  }

  readonly log = (level: LogLevel, message: string, ref?: string): void => {
    if (levelAtLeast(level, this.level)) this.stored++;
    this.rows.log(level, message, ref);
  };

  /** Round trips the stored rows cost (markers, rows, pruning). */
  get cost(): number {
    return this.stored > 0 ? 3 : 0;
  }

  async flush(): Promise<void> {
    if (this.stored === 0) return;
    this.stored = 0;
    await this.rows.flush();
  }
}

/** The step handed on to a later invocation, its lease kept for it (and where storing its items stopped). */
export function handOn(step: Step, delayMs = 0, resume?: { done: number; counts: PipelineCounts }): Outcome {
  return carry({ ...step.msg, carried: step.token, ...(resume ? { resume } : {}) }, delayMs);
}

/** Why a step's signal was aborted, as an outcome: handed on (host busy, budget spent), or the error goes on. */
export function gaveUp(step: Step, reason: unknown): Outcome {
  if (reason instanceof HostBusy) return handOn(step, reason.waitMs);
  if (reason instanceof BudgetSpent) return handOn(step);
  throw reason instanceof Error ? reason : new Error(String(reason));
}

/** An abort controller for a step's fetches: the gate aborts it when it gives up on a request. */
export function stepSignal(inv: Invocation, holder: string): AbortController {
  const controller = new AbortController();
  inv.gate.holder = holder;
  inv.gate.onGiveUp = (reason) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  return controller;
}

/**
 * Queues the messages of steps to send, as many as the outbox takes; when more are pending than that (a page with
 * hundreds of detail pages, thousands of main pages), one `send` message takes over from the last one queued.
 */
export function sendSteps(inv: Invocation, jobId: number, parent: number | null, steps: readonly StepToSend<unknown>[], more: boolean): void {
  if (steps.length === 0) return;
  const room = outboxRoom(inv) - 1;
  const now = steps.slice(0, Math.max(0, room));
  for (const s of now) inv.outbox.push({ body: { type: "step", job: jobId, step: s.id } });
  if (now.length < steps.length || more) {
    const after = now.length > 0 ? now.at(-1)!.id : Math.max(0, steps[0]!.id - 1);
    const next: Message = { type: "send", job: jobId, parent, after };
    inv.outbox.push({ body: next });
  }
}
