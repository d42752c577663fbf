/**
 * @module
 * One page of a crawl, as a queue message: the step is claimed (a lease; a main or follow page is admitted within
 * the run's limits), its page fetched through the host gate and read by the core's page step, and the result
 * committed through the database run state — its items, the detail and follow pages it plans (sent as messages),
 * its counts. Items the commit completes are stored next (`store-items.ts`).
 *
 * A message delivered again finds its step committed (or done) and only sends again the pages it planned that are
 * still pending, in case their messages were lost. An answer that says "later" (429, 5xx, no answer) gives the
 * step back and retries the message with a backoff (honouring Retry-After); a page that keeps failing ends in the
 * dead-letter queue (`dead-letter.ts`).
 */
import { completedItems, DatabaseRunState, type StepTask } from "../../src/crawl/database-run-state.ts";
import type { ItemRead } from "../../src/crawl/item.ts";
import { detailPageStep, listPageStep, prepareList, type ListTask } from "../../src/crawl/page-step.ts";
import type { DetailTask, PageTally } from "../../src/crawl/run-state.ts";
import { claimStep, releaseStep } from "../../src/db/runs.ts";
import { BudgetSpent } from "../budget.ts";
import { aliveUntil, newId, type Invocation } from "./invocation.ts";
import { ack, carry, type Outcome, type StepMessage } from "./messages.ts";
import { knownPlan, planFromRecord, usePlan } from "./plan.ts";
import { afterCommit } from "./run-end.ts";
import { gaveUp, handOn, sendSteps, stepSignal, StepLog, type Step } from "./step.ts";
import { storeItems } from "./store-items.ts";

/** Subrequests a step needs to get anywhere: its claim, a host claim, the fetch, the commit, storing, the end. */
export const STEP_MIN = 7;
/** How long a claimed step stays its run's if that run dies: past the wall budget and one fetch's timeout. */
export function stepLeaseMs(inv: Invocation): number {
  return inv.settings.wallBudgetMs + inv.settings.fetch.timeoutMs + 30_000;
}

/** How soon a copy of a message whose step another invocation holds looks again. */
const HELD_RECHECK_MS = 5_000;

/** Error kinds of a page that a later attempt may not get: the answer said "later", or there was none. */
const RETRYABLE = new Set(["network", "timeout", "http_408", "http_429", "http_500", "http_502", "http_503", "http_504"]);

export function retryable(tally: PageTally): boolean {
  return tally.page === "failed" && tally.error !== undefined && RETRYABLE.has(tally.error);
}

/** Runs the step of `msg`; `attempts` is the message's delivery count (for the backoff). */
export async function runStep(inv: Invocation, msg: StepMessage, attempts: number): Promise<Outcome> {
  const step = await claim(inv, msg);
  if (!("claim" in step)) return step;
  const { claim: claimed } = step;
  try {
    if (claimed.status === "read") return await storeItems(step, completedItems(claimed.items ?? []));
    const task = claimed.task!;
    return task.kind === "DP" ? await detailPage(step, task, attempts) : await listPage(step, task, attempts);
  } catch (e) {
    // The message is retried: the step is given back at once (when the database still answers), its error kept,
    // rather than held until its lease runs out. A spent budget hands the step on with its lease instead.
    if (!(e instanceof BudgetSpent) && inv.budget.affords(1)) {
      const error = `internal: ${e instanceof Error ? e.message : String(e)}`;
      await releaseStep(inv.database, { stepId: msg.step, token: step.token }, error, inv.gate.takePending()).catch(() => {});
    }
    throw e;
  }
}

/**
 * Claims the step and builds what running it needs; an outcome instead when there is nothing to run: the job is
 * over or cancelled (remaining messages do nothing), the step is done, or another invocation holds it.
 */
export async function claim(inv: Invocation, msg: StepMessage): Promise<Step | Outcome> {
  const token = msg.carried ?? newId();
  const claimed = await claimStep<ItemRead, StepTask>(
    inv.database,
    { jobId: msg.job, stepId: msg.step, token, ...(msg.carried ? { carried: msg.carried } : {}), leaseMs: stepLeaseMs(inv), withPlan: knownPlan(msg.job) === undefined },
    newId(),
  );
  inv.jobs.add(msg.job);
  if (claimed.job?.status !== "running" || claimed.status === undefined || claimed.run === undefined) return ack;
  // Past pending: the pages it planned may have lost their messages (the invocation that sent them died).
  sendSteps(inv, msg.job, msg.step, claimed.children, claimed.children.length === 500);
  if (!claimed.held) {
    if (claimed.status === "done" || claimed.status === "failed") return ack;
    // Another invocation works on it: this copy looks again a little later (and is done with it once the step is
    // done, or takes it over once that invocation's lease has run out).
    return carry(msg, Math.min(claimed.leaseLeftMs + 1000, HELD_RECHECK_MS));
  }
  const record = claimed.run.plan;
  const known = knownPlan(msg.job) ?? (record ? { plan: planFromRecord(record) } : undefined);
  if (!known) throw new Error(`job ${msg.job}: the run has no plan`);
  const { plan, ctx } = usePlan(msg.job, known.plan, inv.fetcher, inv.env);
  const state = new DatabaseRunState(
    inv.database,
    { jobId: msg.job, stepId: msg.step, token, admitted: claimed.admitted },
    { aliveUntil: () => aliveUntil(inv), piggyback: () => inv.gate.takePending(), newId },
  );
  const log = new StepLog(inv, { job_id: msg.job, source_id: plan.defs.sourceId, scraper_id: plan.defs.scraperId }, inv.settings.log.level);
  return { inv, msg, token, claim: claimed, plan, ctx, state, log };
}

async function listPage(step: Step, task: ListTask, attempts: number): Promise<Outcome> {
  const { inv, ctx, state, claim: claimed, plan } = step;
  // Past max_pages_read or max_items_read: the page is not read, and the step is over.
  if (state.admitListPage() === "over") return afterCommit(step, await state.listPageRead({}, []));
  const list = prepareList(ctx, task);
  const validator = claimed.validator;
  if (validator && !plan.options.dry_run && (validator.etag || validator.lastModified)) {
    list.validator = { ...(validator.etag ? { etag: validator.etag } : {}), ...(validator.lastModified ? { lastModified: validator.lastModified } : {}) };
  }
  if (!inv.budget.affords(fetchCost(step, task.url))) return handOn(step);
  const controller = stepSignal(inv, step.token);
  const result = await listPageStep(ctx, list, controller.signal);
  if (controller.signal.aborted) return gaveUp(step, controller.signal.reason);
  if (retryable(result.tally)) return retryLater(step, result.tally, result.logs, attempts);
  for (const line of result.logs) step.log.log(line.level, line.message, line.ref);
  state.follow(result.followUps.map((t) => prepareList(ctx, t)));
  if (result.validator && !plan.options.dry_run && plan.defs.sourceId !== null) {
    state.remember({ sourceId: plan.defs.sourceId, key: list.key, etag: result.validator.etag ?? null, lastModified: result.validator.lastModified ?? null, now: inv.clock.now() });
  }
  return afterCommit(step, await state.listPageRead(result.tally, result.items));
}

async function detailPage(step: Step, task: DetailTask, attempts: number): Promise<Outcome> {
  const { inv, ctx, state } = step;
  if (!inv.budget.affords(fetchCost(step, task.request.url))) return handOn(step);
  const controller = stepSignal(inv, step.token);
  const result = await detailPageStep(ctx, task, controller.signal);
  if (controller.signal.aborted) return gaveUp(step, controller.signal.reason);
  if (retryable(result.tally)) return retryLater(step, result.tally, result.logs, attempts);
  for (const line of result.logs) step.log.log(line.level, line.message, line.ref);
  return afterCommit(step, await state.detailPageRead(task.slot, result.tally, result.result));
}

/** The fetch and what must follow it in this invocation: a host claim, robots.txt if not known here, the commit. */
function fetchCost(step: Step, url: string): number {
  let origin = "";
  try {
    origin = new URL(url).origin;
  } catch {
    // an unusable URL fails in the page step, without a request
  }
  const robots = step.inv.settings.fetch.obeyRobots && !step.inv.gate.knowsRobots(origin) ? 3 : 0;
  return 3 + robots + step.log.cost;
}

/** The page's answer says "later": the step is given back (its error kept) and the message retried after a backoff. */
async function retryLater(step: Step, tally: PageTally, logs: readonly { message: string }[], attempts: number): Promise<Outcome> {
  const { inv } = step;
  const error = `${tally.error}: ${logs.at(-1)?.message ?? "the page could not be fetched"}`;
  await releaseStep(inv.database, { stepId: step.msg.step, token: step.token }, error, inv.gate.takePending());
  const backoff = inv.settings.fetch.backoffMs * 2 ** Math.max(0, attempts - 1);
  const waitMs = Math.min(Math.max(backoff, inv.gate.retryAfterMs ?? 0), MAX_RETRY_DELAY_MS);
  inv.log("WARNING", `step ${step.msg.step} will be tried again in ${Math.ceil(waitMs / 1000)} s: ${error}`, { job_id: step.msg.job, attempt: attempts });
  return { kind: "retry", delaySeconds: Math.ceil(waitMs / 1000), error };
}

/** A retry waits at most this long, well inside the run's alive horizon. */
const MAX_RETRY_DELAY_MS = 5 * 60_000;
