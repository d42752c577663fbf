import { importBundle } from "../../src/bundle/import.ts";
import type { Database } from "../../src/db/connect.ts";
import { runCrawlJob } from "../../src/jobs/crawl-job.ts";
import { crawlJobStats } from "../../src/model/job-stats.ts";
import { moveAfterRun, runSucceeded } from "../../src/jobs/runner.ts";
import { bundleDefinitions, storedDefinitions, type CrawlDefinitions } from "../../src/jobs/definitions.ts";
import { zodIssues } from "../../src/model/issues.ts";
import { runOptionsSchema, type RunOptions } from "../../src/model/run-options.ts";
import { systemClock } from "../../src/ports.ts";
import { UsageError } from "../args.ts";
import { defineCommand } from "../command.ts";
import { readJsonFile } from "../input.ts";
import { openItemWriter } from "../item-writer.ts";
import { progressReporter } from "../progress.ts";
import { JOB_FLAGS, runnerDeps } from "../job-deps.ts";
import { onInterrupt } from "../signals.ts";
import { collectEvery } from "../memory.ts";

export default defineCommand({
  name: "crawl",
  args: "SOURCE",
  summary: "run a source's scraper once (SOURCE = id or name)",
  details:
    "Exit 0 when the run succeeded, 1 when it failed or was refused (its scraper is PAUSED or INACTIVE, or a run of\nthe source is going on), 2 for bad usage or input.",
  positionals: [1, 1],
  flags: {
    bundle: { type: "string", value: "FILE", help: "load definitions from a bundle first (with --dry-run: use them without storing)" },
    "dry-run": { type: "bool", help: "read and report only: no items, images or runtimes are written" },
    out: { type: "string", value: "FILE", help: "write the items read to FILE (.jsonl, .json or .csv)" },
    "max-items-read": { type: "int", min: 1, value: "N", help: "stop after reading N items" },
    "max-items-save": { type: "int", min: 1, value: "N", help: "save at most N new items" },
    "max-pages-read": { type: "int", min: 1, value: "N", help: "read at most N main and follow pages" },
    "start-page": { type: "string", value: "P", help: "first page value of the generated page list" },
    "end-page": { type: "string", value: "P", help: "last page value of the generated page list (inclusive)" },
    "num-pages-follow": { type: "int", min: 0, value: "N", help: "follow at most N next-page links" },
    url: { type: "string", value: "URL", help: "start from URL instead of the source's URL(s)" },
    "update-schedule": { type: "bool", help: "move the source's next run time as a scheduled run does" },
    ...JOB_FLAGS,
  },
  async run(ctx) {
    const f = ctx.flags;
    const options = runOptions({
      max_items_read: f["max-items-read"],
      max_items_save: f["max-items-save"],
      max_pages_read: f["max-pages-read"],
      start_page: f["start-page"],
      end_page: f["end-page"],
      num_pages_follow: f["num-pages-follow"],
      url: f.url,
      dry_run: f["dry-run"] === true,
    });
    const database = await ctx.database();
    const definitions = await resolveDefinitions(database, ctx.positionals[0]!, f.bundle ? readJsonFile(f.bundle) : undefined, options.dry_run);

    const columns = definitions.classBody.attrs.filter((a) => a.attr_type !== "B" && a.save_to_db).map((a) => a.name);
    const writer = f.out ? openItemWriter(f.out, columns) : undefined;
    const quiet = f.quiet === true || f.json === true;
    const progress = progressReporter({ enabled: !quiet, tty: process.stderr.isTTY === true, write: (t) => process.stderr.write(t) });
    const controller = new AbortController();
    const release = onInterrupt(() => controller.abort(new Error("interrupted")));
    const deps = runnerDeps(ctx, f, database, (r) => progress.log(r));
    let job;
    try {
      job = await runCrawlJob(
        {
          ...deps,
          onProgress: (p) => {
            progress.update(p);
            collectEvery(p.pagesDone);
          },
          ...(writer ? { onRow: (row: Record<string, unknown>) => writer.write(row) } : {}),
        },
        definitions,
        options,
        { scheduled: false, updateSchedule: f["update-schedule"] === true },
        controller.signal,
      );
      if (job.update_schedule && !job.dry_run) await moveAfterRun(database, job, runSucceeded(job), systemClock.now());
    } catch (e) {
      await writer?.abort();
      throw e;
    } finally {
      progress.stop();
      release();
      await deps.close();
    }
    // The file replaces an existing one only when the run succeeded: a failed or interrupted run leaves it as it was.
    if (job.status === "succeeded") await writer?.close();
    else {
      await writer?.abort();
      if (writer) ctx.note(`--out ${f.out}: not written (the run ${job.status === "cancelled" ? "was cancelled" : "failed"})`);
    }
    ctx.printJson(jobJson(job));
    const stats = crawlJobStats(job.stats);
    ctx.print(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ""}`);
    // A job taken from this run before it started (cancelled at once) has nothing more to say.
    if (!stats) return 1;
    const withoutItems = stats.pages_without_items ? ` (${stats.pages_without_items} without items: the base XPath matched nothing, see the log)` : "";
    ctx.print(`  pages: ${stats.pages.main} main${withoutItems}, ${stats.pages.follow} follow, ${stats.pages.detail} detail, ${stats.pages.not_modified} not modified, ${stats.pages.failed} failed`);
    const dropped = Object.entries(stats.items.dropped).map(([why, n]) => `${n} ${why}`);
    ctx.print(
      `  items: ${stats.items_read} read, ${stats.items.saved} ${options.dry_run ? "new (not saved: dry run)" : "saved"}, ${stats.items.updated} updated, ${stats.items.unchanged} unchanged, ${dropped.length ? dropped.join(", ") : "0 dropped"}`,
    );
    const errors = Object.entries(stats.errors).map(([kind, n]) => `${n} ${kind}`);
    if (errors.length) ctx.print(`  errors: ${errors.join(", ")}`);
    return job.status === "succeeded" ? 0 : 1;
  },
});

function runOptions(raw: Record<string, unknown>): RunOptions {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = runOptionsSchema.safeParse(defined);
  if (!parsed.success) {
    const issue = zodIssues(parsed.error.issues)[0]!;
    throw new UsageError(`--${issue.path.replaceAll("_", "-")}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The definitions of SOURCE: stored ones, after storing the bundle if one is given; with --dry-run a bundle's
 * own definitions are used without storing them.
 */
async function resolveDefinitions(database: Database, ref: string, bundleInput: unknown, dryRun: boolean): Promise<CrawlDefinitions> {
  if (bundleInput !== undefined && !dryRun) await importBundle(database, bundleInput, systemClock);
  const fromBundle = bundleInput !== undefined && dryRun ? await bundleDefinitions(database, bundleInput, ref) : undefined;
  return fromBundle ?? storedDefinitions(database, ref);
}

/** The job record as `--json` prints it (INTERFACE.md: times as ISO 8601 UTC). */
export function jobJson(job: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(job).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}
