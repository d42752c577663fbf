/**
 * @module
 * The dead-letter queue's consumer: messages whose every delivery failed. A page step ends failed, with the last
 * attempt's error (kept on the step by each failed attempt): it counts as a failed page in the job's stats, stays
 * in the job's failed pages (`failedPages`), and is logged on the job; a detail page's waiting items go on without
 * its values, as in the binary. A job whose start kept failing ends failed. Either way the run can still end. A
 * job's webhook lands here only if the queue's max_retries is set below its tries: it is given up on, saying so.
 */
import { emptyPipelineCounts } from "../../src/model/job-stats.ts";
import { abandonJob } from "../../src/db/runs.ts";
import { jobById } from "../../src/db/jobs.ts";
import { moveAfterRun } from "../../src/jobs/runner.ts";
import { undeliveredMessage } from "../../src/jobs/webhook.ts";
import type { Invocation } from "./invocation.ts";
import { ack, type Message, type Outcome } from "./messages.ts";
import { claim } from "./crawl-step.ts";
import { afterCommit, finishCrawl } from "./run-end.ts";
import { sendPending } from "./start.ts";
import { queueJobWebhook } from "./webhook.ts";

/** An error kept on a step starts with its kind (`http_503: …`); anything else counts as internal. */
function errorKind(error: string): string {
  const kind = /^([a-z0-9_]+):/.exec(error)?.[1];
  return kind ?? "internal";
}

export async function deadLetter(inv: Invocation, message: Message, attempts: number): Promise<Outcome> {
  switch (message.type) {
    case "job": {
      const error = `the job could not be started (${attempts} deliveries failed; see the Worker's logs)`;
      if (await abandonJob(inv.database, message.job, error, inv.clock.now())) {
        inv.log("ERROR", error, { job_id: message.job });
        const job = await jobById(inv.database, message.job);
        if (job?.update_schedule && !job.dry_run) await moveAfterRun(inv.database, job, false, inv.clock.now());
        if (job) await queueJobWebhook(inv, job);
      }
      return ack;
    }
    case "send":
      return sendPending(inv, message);
    case "finish":
      await finishCrawl(inv, message.job);
      return ack;
    case "webhook":
      // Only when the jobs queue's max_retries is below the webhook's tries: given up on, its job left alone.
      inv.log("ERROR", undeliveredMessage(attempts, "every delivery of its message failed"), { job_id: message.job, source_id: message.source });
      return ack;
    case "step":
      break;
  }
  const step = await claim(inv, message);
  if (!("claim" in step)) return step;
  const { claim: claimed, state } = step;
  const error = claimed.error ?? `failed in every one of its ${attempts} deliveries (see the Worker's logs)`;
  const what = claimed.kind === "DP" ? "detail page" : claimed.kind === "FP" ? "follow page" : "main page";
  const url = claimed.task?.kind === "DP" ? claimed.task.request.url : claimed.task?.url;
  step.log.log("ERROR", `${what} ${url ?? "?"} failed for good after ${claimed.attempts} attempt(s): ${error}`, url);
  if (claimed.status === "read") {
    // Read, but its items could not be stored: they are lost, and the step ends failed with why.
    await step.log.flush();
    const end = await state.finish(emptyPipelineCounts(), `its items could not be stored: ${error}`);
    if (end.ended && end.pending === 0) await finishCrawl(inv, message.job);
    return ack;
  }
  state.fail(error);
  const tally = { page: "failed" as const, error: errorKind(error) };
  const task = claimed.task!;
  if (task.kind === "DP") return afterCommit(step, await state.detailPageRead(task.slot, tally, { error }));
  return afterCommit(step, await state.listPageRead(tally, []));
}
