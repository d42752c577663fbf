import { loadSource } from "../../src/db/definitions.ts";
import { listJobs } from "../../src/db/job-list.ts";
import { jobById } from "../../src/db/jobs.ts";
import { ConflictError, NotFoundError } from "../../src/errors.ts";
import { getJob, jobJson } from "../../src/jobs/job-json.ts";
import { cancelJob } from "../../src/jobs/lifecycle.ts";
import { jobKindSchema, jobStatusSchema } from "../../src/model/enums.ts";
import type { Job } from "../../src/model/job.ts";
import { checkJobStats, crawlJobStats } from "../../src/model/job-stats.ts";
import { systemClock } from "../../src/ports.ts";
import { UsageError } from "../args.ts";
import { defineCommand } from "../command.ts";

export default defineCommand({
  name: "jobs",
  args: "[cancel ID]",
  summary: "recent jobs, newest first, with status and stats; 'jobs cancel ID' cancels a queued or running job",
  details: [
    "Reads the database, so it sees the jobs of every process sharing it (serve, crawl, tick). A running job's stats are",
    "those of its last heartbeat (a second old at most). 'jobs cancel ID' marks the job cancelled at once; the process",
    "running it stops it within seconds (exit 1 when it has already ended).",
  ].join("\n"),
  positionals: [0, 2],
  flags: {
    source: { type: "string", value: "SOURCE", help: "only jobs of this source (id or name)" },
    status: { type: "string", value: "STATUS", help: "only jobs in this status: queued, running, succeeded, failed, cancelled" },
    kind: { type: "string", value: "KIND", help: "only crawl or check jobs" },
    limit: { type: "int", min: 1, value: "N", help: "at most N jobs (default 20)" },
  },
  async run(ctx) {
    const [action, ref] = ctx.positionals;
    const database = await ctx.database();
    if (action !== undefined) {
      if (action !== "cancel") throw new UsageError(`unknown action '${action}' (expected 'jobs' or 'jobs cancel ID')`);
      if (ref === undefined || !/^\d+$/.test(ref)) throw new UsageError(`'jobs cancel' needs a job id${ref === undefined ? "" : `, got '${ref}'`}`);
      const id = Number(ref);
      const before = await jobById(database, id);
      if (!before) throw new NotFoundError(`no job with id ${id}`);
      if (!(await cancelJob(database, id, systemClock.now()))) throw new ConflictError(`job ${id} has already ended: ${before.status}`);
      const job = await getJob(database, id);
      ctx.printJson(job);
      ctx.print(`job ${id} cancelled${before.status === "running" ? " (it was running: the process running it stops it within seconds)" : ""}`);
      return 0;
    }
    const f = ctx.flags;
    const status = f.status === undefined ? undefined : parseOr(jobStatusSchema.safeParse(f.status.toLowerCase()), `--status must be one of ${jobStatusSchema.options.join(", ")}, got '${f.status}'`);
    const kind = f.kind === undefined ? undefined : parseOr(jobKindSchema.safeParse(f.kind.toLowerCase()), `--kind must be crawl or check, got '${f.kind}'`);
    const sourceId = f.source === undefined ? undefined : (await loadSource(database, f.source)).source.id;
    const page = await listJobs(database, { ...(sourceId !== undefined ? { sourceId } : {}), ...(status ? { status } : {}), ...(kind ? { kind } : {}) }, 1, f.limit ?? 20);
    const jobs = page.jobs.map(jobJson);
    ctx.printJson(jobs);
    if (jobs.length === 0) ctx.print("no jobs");
    for (const job of jobs) ctx.print(jobLine(job));
    if (page.total > jobs.length) ctx.print(`(${jobs.length} of ${page.total}; --limit N shows more)`);
  },
});

function parseOr<T>(result: { success: true; data: T } | { success: false }, message: string): T {
  if (!result.success) throw new UsageError(message);
  return result.data;
}

/** One job for people: id, kind, status, what, when, then its stats in a few words. */
export function jobLine(job: Job): string {
  const what = job.kind === "crawl" ? `source ${job.source ?? job.source_id ?? "(deleted)"}` : `item ${job.item_id ?? "(deleted)"}`;
  const took = job.started_at ? ` ${seconds(job.started_at, job.finished_at ?? job.heartbeat_at)}` : "";
  return `${String(job.id).padStart(5)}  ${job.kind.padEnd(5)}  ${job.status.padEnd(9)}  ${what}  ${job.created_at}${took}${job.dry_run ? "  dry run" : ""}  ${statsWords(job)}${job.error ? `  (${job.error})` : ""}`;
}

function seconds(from: string, to: string | null): string {
  if (to === null) return "";
  return `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s`;
}

function statsWords(job: Job): string {
  const crawl = crawlJobStats(job.stats);
  if (crawl) {
    const pages = crawl.pages.main + crawl.pages.follow + crawl.pages.detail + crawl.pages.not_modified;
    let dropped = 0;
    for (const n of Object.values(crawl.items.dropped)) dropped += n;
    let errors = 0;
    for (const n of Object.values(crawl.errors)) errors += n;
    return `pages ${pages}, items ${crawl.items_read} read / ${crawl.items.saved} saved / ${crawl.items.updated} updated / ${dropped} dropped, errors ${errors}`;
  }
  const check = checkJobStats(job.stats);
  if (check) return `${check.action}${check.num_404 ? ` (404 answers in a row: ${check.num_404})` : ""}`;
  return "";
}
