import { runCheckJob } from "../../src/jobs/check-job.ts";
import { checkJobStats } from "../../src/model/job-stats.ts";
import { moveAfterRun, runSucceeded } from "../../src/jobs/runner.ts";
import { systemClock } from "../../src/ports.ts";
import { UsageError } from "../args.ts";
import { defineCommand } from "../command.ts";
import { JOB_FLAGS, runnerDeps, stderrSink } from "../job-deps.ts";
import { onInterrupt } from "../signals.ts";
import { jobJson } from "./crawl.ts";

export default defineCommand({
  name: "check",
  args: "ITEM",
  summary: "run an item's checkers once (ITEM = item id)",
  details:
    "A 404 deletes the item when the check before also got one; an XPath checker's match deletes at once. Every check\nkeeps the 404 count; --update-schedule also moves the item's next check as a scheduled check does.",
  positionals: [1, 1],
  flags: {
    "dry-run": { type: "bool", help: "report what would happen: nothing is deleted or counted" },
    "update-schedule": { type: "bool", help: "move the item's next check time as a scheduled check does" },
    ...JOB_FLAGS,
  },
  async run(ctx) {
    const f = ctx.flags;
    const ref = ctx.positionals[0]!;
    if (!/^\d+$/.test(ref)) throw new UsageError(`ITEM must be an item id, got '${ref}'`);
    const database = await ctx.database();
    const deps = runnerDeps(ctx, f, database, stderrSink({ quiet: f.quiet === true || f.json === true }));
    const controller = new AbortController();
    const release = onInterrupt(() => controller.abort(new Error("interrupted")));
    const itemId = Number(ref);
    let job;
    try {
      job = await runCheckJob(deps, itemId, { dryRun: f["dry-run"] === true, scheduled: false, updateSchedule: f["update-schedule"] === true }, controller.signal);
      if (job.update_schedule && !job.dry_run) await moveAfterRun(database, job, runSucceeded(job), systemClock.now());
    } finally {
      release();
      await deps.close();
    }
    ctx.printJson(jobJson(job));
    ctx.print(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ""}`);
    const stats = checkJobStats(job.stats);
    if (stats) {
      for (const c of stats.checks) ctx.print(`  ${c.attr} ${c.url ?? "(no URL)"}: ${c.outcome} (${c.detail})`);
      const counted = stats.action === "kept" && stats.num_404 > 0 ? ` (404 answers in a row: ${stats.num_404})` : "";
      ctx.print(`  item ${itemId}: ${stats.action}${counted}`);
    }
    return job.status === "succeeded" ? 0 : 1;
  },
});
