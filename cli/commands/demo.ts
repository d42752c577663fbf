import { importBundle } from "../../src/bundle/import.ts";
import { countItems, sampleItems } from "../../src/db/items.ts";
import { runCrawlJob } from "../../src/jobs/crawl-job.ts";
import { crawlJobStats } from "../../src/model/job-stats.ts";
import { storedDefinitions } from "../../src/jobs/definitions.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { systemClock } from "../../src/ports.ts";
import { defineCommand } from "../command.ts";
import { sampleSite } from "../demo/site.ts";
import { JOB_FLAGS, runnerDeps, stderrSink } from "../job-deps.ts";
import example from "../../examples/quotes.json";

export default defineCommand({
  name: "demo",
  args: "",
  summary: "serve a sample site on 127.0.0.1, store definitions for it, crawl it and show what was stored",
  details: "Uses the database of --db (default ./data/dscraper.db); a second demo finds the quotes already stored.",
  positionals: [0, 0],
  flags: { ...JOB_FLAGS },
  async run(ctx) {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => sampleSite(new URL(request.url).pathname) });
    try {
      const site = `http://127.0.0.1:${server.port}`;
      ctx.note(`sample site: ${site}/quotes/page/1/`);
      const database = await ctx.database();
      // examples/quotes.json, pointed at the sample site. The site is gone when the demo ends (and its port changes
      // from run to run), so the scraper runs by hand only: `serve` must not keep visiting a dead address.
      const bundle = {
        ...example,
        scrapers: example.scrapers.map((s) => ({ ...s, status: "MANUAL" })),
        sources: example.sources.map((s) => ({ ...s, url: `${site}/quotes/page/1/` })),
      };
      await importBundle(database, bundle, systemClock);
      ctx.note("definitions stored (class Quote, scraper quotes, source quotes); crawling…");
      const deps = runnerDeps(ctx, { "delay-ms": 0, "per-host": 4, ...ctx.flags }, database, stderrSink({ quiet: ctx.flags.quiet === true }));
      const job = await runCrawlJob(deps, await storedDefinitions(database, "quotes"), runOptionsSchema.parse({}), { scheduled: false, updateSchedule: false }, new AbortController().signal).finally(
        () => deps.close(),
      );
      const items = await sampleItems(database, 3);
      const count = await countItems(database);
      ctx.printJson({ job: { id: job.id, status: job.status, stats: job.stats }, items: count });
      const stats = crawlJobStats(job.stats);
      if (!stats) return 1;
      ctx.print(`job ${job.id} ${job.status}: ${stats.pages.main + stats.pages.follow} list pages and ${stats.pages.detail} author pages read`);
      ctx.print(`${stats.items_read} quotes read, ${stats.items.saved} saved, ${stats.items.unchanged} already stored; ${count} items in the database`);
      for (const { id, data } of items) {
        ctx.print(`  #${id} ${String(data.text)} — ${String(data.author)} (born ${String(data.author_born_date)}), tags: ${(data.tags as string[]).join(", ")}`);
      }
      ctx.print("next: 'dscraper export' shows the definitions, 'dscraper sources' the source and its schedule; see README.md");
      return job.status === "succeeded" ? 0 : 1;
    } finally {
      await server.stop(true);
    }
  },
});
