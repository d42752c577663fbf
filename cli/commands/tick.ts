import { jobsByIds } from "../../src/db/jobs.ts";
import { runQueuedJob } from "../../src/jobs/runner.ts";
import { systemClock } from "../../src/ports.ts";
import { DEFAULT_TICK_CAPS, tick } from "../../src/jobs/tick.ts";
import { defineCommand } from "../command.ts";
import { JOB_FLAGS, runnerDeps, stderrSink } from "../job-deps.ts";
import { LocalQueue } from "../local-queue.ts";
import { onInterrupt } from "../signals.ts";
import { jobJson } from "./crawl.ts";

export const TICK_FLAGS = {
  "max-spider-runs": { type: "int", min: 0, value: "N", env: "DSCRAPER_MAX_SPIDER_RUNS_PER_TICK", help: "due sources crawled per tick (default 10)" },
  "max-checker-runs": { type: "int", min: 0, value: "N", env: "DSCRAPER_MAX_CHECKER_RUNS_PER_TICK", help: "due item checks per tick (default 25)" },
  workers: { type: "int", min: 1, value: "N", env: "DSCRAPER_WORKERS", help: "jobs run at once (default 4)" },
} as const;

export default defineCommand({
  name: "tick",
  args: "",
  summary: "one scheduler tick: run the due scrapers and checkers now and update their runtimes",
  details: "Exit 0 when the tick ran (a run that failed is reported and logged, and its source backs off), 1 when the tick itself failed.",
  positionals: [0, 0],
  flags: { ...TICK_FLAGS, ...JOB_FLAGS },
  async run(ctx) {
    const f = ctx.flags;
    const database = await ctx.database();
    const deps = runnerDeps(ctx, f, database, stderrSink({ quiet: f.quiet === true || f.json === true }));
    const queue = new LocalQueue(f.workers ?? 4, async (id, signal) => void (await runQueuedJob(deps, id, signal)), database, systemClock, (id, e) =>
      ctx.note(`job ${id}: ${e instanceof Error ? e.message : String(e)}`),
    );
    const release = onInterrupt(() => void queue.stop(new Error("interrupted")));
    try {
      const result = await tick(database, queue, systemClock, {
        spiders: f["max-spider-runs"] ?? DEFAULT_TICK_CAPS.spiders,
        checkers: f["max-checker-runs"] ?? DEFAULT_TICK_CAPS.checkers,
      });
      await queue.idle();
      const ids = [...result.crawls, ...result.checks];
      const rows = await jobsByIds(database, ids);
      ctx.printJson({ expired: result.expired, jobs: rows.map(jobJson) });
      ctx.print(`tick: ${result.crawls.length} crawl${result.crawls.length === 1 ? "" : "s"} and ${result.checks.length} check${result.checks.length === 1 ? "" : "s"} run${result.expired ? `, ${result.expired} dead job(s) expired` : ""}`);
      for (const job of rows) {
        const what = job.kind === "crawl" ? `crawl of source ${job.source_id}` : `check of item ${job.item_id}`;
        ctx.print(`  job ${job.id} ${what}: ${job.status}${job.error ? ` (${job.error})` : ""}`);
      }
    } finally {
      release();
      await queue.stop(new Error("done"));
      await deps.close();
    }
  },
});
