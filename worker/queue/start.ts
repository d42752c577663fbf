/**
 * @module
 * A queued job's first message. A crawl is claimed (queued → running, the job's next attempt), refused when its
 * scraper may not run, and planned: its main pages become the run's first steps, sent as messages (`startRun`;
 * done again by a re-delivered message, it adds nothing and sends the pending main pages again). A check runs
 * whole, as one message: the core's check job (`runQueuedJob`), with no timer (its lease is not renewed: a check is
 * one page).
 */
import type { StepTask } from "../../src/crawl/database-run-state.ts";
import { prepareList, stepContext, type ListTask } from "../../src/crawl/page-step.ts";
import { planMainPages } from "../../src/crawl/planner.ts";
import { UnsupportedRequestError } from "../../src/crawl/request.ts";
import { claimJob, finishJob, jobById, type JobRow } from "../../src/db/jobs.ts";
import { startRun, stepsToSend, type PlannedPage } from "../../src/db/runs.ts";
import { DscraperError, NotFoundError } from "../../src/errors.ts";
import { refuseCrawl } from "../../src/jobs/crawl-job.ts";
import { storedDefinitions } from "../../src/jobs/definitions.ts";
import type { Sleep } from "../../src/jobs/lifecycle.ts";
import { moveAfterRun, runQueuedJob } from "../../src/jobs/runner.ts";
import { emptyCrawlStats, emptyPipelineCounts } from "../../src/model/job-stats.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { aliveUntil, logLine, outboxRoom, type Invocation } from "./invocation.ts";
import { ack, carry, type Message, type Outcome } from "./messages.ts";
import { planRecord, type RunPlan } from "./plan.ts";
import { finishCrawl } from "./run-end.ts";
import { sendSteps } from "./step.ts";
import { queueJobWebhook, WEBHOOK_PREPARE_COST } from "./webhook.ts";

/** Subrequests a crawl's start takes: the job read, its claim, its definitions, the run written (or, refused, the webhook). */
const START_COST = 5 + WEBHOOK_PREPARE_COST;
/** Subrequests a check may take: job, claim, item, validator, robots.txt, host claims, the page, the delete (rows,
 * R2 files, the scraper's last delete), the finish, the runtime's move, the webhook. */
const CHECK_COST = 20 + WEBHOOK_PREPARE_COST;
/** A check waits this long for a busy host inside its invocation (it has no later message to hand on to). */
const CHECK_HOST_WAIT_MS = 30_000;

/** Heartbeats of a run with no timer: the lease is held by the job's own messages, not renewed in the meantime. */
const noHeartbeat: Sleep = (_ms, signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

export async function runJob(inv: Invocation, message: Extract<Message, { type: "job" }>): Promise<Outcome> {
  if (!inv.budget.affords(START_COST)) return carry(message);
  const job = await jobById(inv.database, message.job);
  if (!job) return ack;
  inv.jobs.add(job.id);
  if (job.kind === "check") return runCheck(inv, job, message);
  let claimed: JobRow | undefined = job;
  if (job.status === "queued") claimed = await claimJob(inv.database, job.id, inv.clock.now());
  // Started already (a second delivery): planning again adds nothing, and sends what is still pending.
  if (!claimed || claimed.status !== "running") return ack;
  return startCrawl(inv, claimed);
}

async function startCrawl(inv: Invocation, job: JobRow): Promise<Outcome> {
  let plan: RunPlan;
  let pages: PlannedPage<StepTask>[];
  try {
    if (job.source_id === null) throw new NotFoundError("its source was deleted");
    const defs = await storedDefinitions(inv.database, job.source_id);
    const options = runOptionsSchema.parse(job.params);
    refuseCrawl(defs, options, job.update_schedule);
    plan = { defs, options };
    pages = mainPages(inv, plan);
  } catch (e) {
    // Refused (the scraper was paused since the job was queued, the source is gone…): the job ends failed with
    // the reason, and a scheduled job's runtime still moves.
    const reason = e instanceof Error ? e.message : String(e);
    const error = e instanceof DscraperError || e instanceof UnsupportedRequestError ? reason : `internal error: ${reason}`;
    const ended = await finishJob(inv.database, { id: job.id, attempt: job.attempt }, "failed", {}, error, inv.clock.now());
    logLine("ERROR", `crawl refused: ${error}`, { job_id: job.id, source_id: job.source_id });
    if (ended && ended.update_schedule && !ended.dry_run) await moveAfterRun(inv.database, ended, false, inv.clock.now());
    if (ended) await queueJobWebhook(inv, ended);
    return ack;
  }
  const started = await startRun<StepTask>(inv.database, {
    jobId: job.id,
    attempt: job.attempt,
    plan: planRecord(plan),
    maxPages: plan.options.max_pages_read ?? null,
    maxItems: plan.options.max_items_read ?? plan.defs.scraperBody.max_items_read ?? null,
    stats: { ...emptyCrawlStats(), items: emptyPipelineCounts() },
    pages,
    aliveUntil: aliveUntil(inv),
    sendLimit: Math.max(1, outboxRoom(inv) - 1),
  });
  if (!started) return ack;
  logLine("INFO", `crawl of source "${plan.defs.sourceName}" with scraper "${plan.defs.scraperName}" started: ${pages.length} main page(s)`, { job_id: job.id, source_id: job.source_id });
  sendSteps(inv, job.id, null, started.steps, started.steps.length < started.pending);
  // Nothing to read (every main page a repeat of another run's… or none at all): the run ends at once.
  if (started.pending === 0) await finishCrawl(inv, job.id);
  return ack;
}

/** The run's main pages, each with its request key (the same request is planned once). */
function mainPages(inv: Invocation, plan: RunPlan): PlannedPage<StepTask>[] {
  const { defs, options } = plan;
  const ctx = stepContext({ classBody: defs.classBody, scraperBody: defs.scraperBody }, options, inv.fetcher, inv.env);
  const startUrls = options.url ? [options.url] : [defs.url, ...defs.urls];
  return startUrls.flatMap((url) =>
    planMainPages(defs.scraperBody, url, options).map((main) => {
      const task: ListTask = { kind: "MP", url: main.url, vars: main.page === undefined ? {} : { page: main.page }, depth: 0 };
      const list = prepareList(ctx, task);
      return { kind: "MP" as const, task: { ...task, key: list.key, dontFilter: list.dontFilter }, key: list.key, dontFilter: list.dontFilter };
    }),
  );
}

/** The pending steps of a run planned by `parent`, from after step `after` (a `send` message). */
export async function sendPending(inv: Invocation, message: Extract<Message, { type: "send" }>): Promise<Outcome> {
  if (!inv.budget.affords(1)) return carry(message);
  const room = Math.max(1, outboxRoom(inv) - 1);
  const steps = await stepsToSend<StepTask>(inv.database, message.job, message.parent, message.after, room + 1);
  sendSteps(inv, message.job, message.parent, steps.slice(0, room), steps.length > room);
  return ack;
}

async function runCheck(inv: Invocation, job: JobRow, message: Message): Promise<Outcome> {
  if (job.status !== "queued") return ack;
  if (!inv.budget.affords(CHECK_COST)) return carry(message);
  // A check is not handed on: the gate waits longer for a busy host, and giving up on a request fails that request
  // only (the checker's outcome is then "unknown", which changes nothing), never the job.
  const controller = new AbortController();
  inv.gate.holder = crypto.randomUUID();
  inv.gate.onGiveUp = () => {};
  const wait = inv.gate.maxWaitMs;
  inv.gate.maxWaitMs = CHECK_HOST_WAIT_MS;
  let finished: JobRow | undefined;
  try {
    finished = await runQueuedJob(
      {
        database: inv.database,
        fetcher: inv.fetcher,
        clock: inv.clock,
        sleep: noHeartbeat,
        env: inv.env,
        log: { level: inv.settings.log.level, limit: inv.settings.log.limit, sink: (r) => logLine(r.level, r.msg, { job_id: r.job_id, source_id: r.source_id, scraper_id: r.scraper_id }) },
        conditionalRequests: true,
        store: inv.store,
      },
      job.id,
      controller.signal,
    );
  } finally {
    inv.gate.maxWaitMs = wait;
  }
  // A check cancelled while it ran had its webhook sent by the cancel (worker/job-queue.ts).
  if (finished && finished.status !== "cancelled") await queueJobWebhook(inv, finished);
  return ack;
}
