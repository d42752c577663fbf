import { importBundle } from "../../src/bundle/import.ts";
import type { Database } from "../../src/db/connect.ts";
import { countItems, sampleItems } from "../../src/db/items.ts";
import type { Job } from "../../src/model/job.ts";
import { crawlJobStats } from "../../src/model/job-stats.ts";
import { systemClock } from "../../src/ports.ts";
import { defineCommand, type Context } from "../command.ts";
import { sampleSite } from "../demo/site.ts";
import { ADMIN_PATH, SERVE_FLAGS, startService, stopSignals, type Service } from "../service.ts";
import example from "../../examples/quotes.json";

/** How often the demo asks its server how the crawl goes. */
const WATCH_MS = 200;

export default defineCommand({
  name: "demo",
  args: "",
  summary: "serve a sample site on 127.0.0.1, store definitions for it, start 'serve', crawl the site through the API, keep serving",
  details: [
    "Uses the database of --db (default ./data/dscraper.db); a second demo finds the quotes already stored. The crawl is",
    "asked for over HTTP (POST /api/sources/quotes/crawl) and watched (GET /api/jobs/:id) like any client would; then",
    "the URLs to open are printed and the server keeps serving until Ctrl-C. Takes serve's flags (--port, --host, …).",
  ].join("\n"),
  positionals: [0, 0],
  flags: SERVE_FLAGS,
  async run(ctx) {
    const signals = stopSignals();
    const site = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => sampleSite(new URL(request.url).pathname) });
    try {
      const siteUrl = `http://127.0.0.1:${site.port}`;
      ctx.print(`sample site: ${siteUrl}/quotes/page/1/`);
      const database = await ctx.database();
      // examples/quotes.json, pointed at the sample site. The site is gone when the demo ends (and its port changes
      // from run to run), so the scraper runs by hand only: `serve` must not keep visiting a dead address.
      const bundle = {
        ...example,
        scrapers: example.scrapers.map((s) => ({ ...s, status: "MANUAL" })),
        sources: example.sources.map((s) => ({ ...s, url: `${siteUrl}/quotes/page/1/` })),
      };
      await importBundle(database, bundle, systemClock);
      ctx.print("definitions stored: class Quote, scraper quotes, source quotes");
      // The sample site is ours: no need to wait a second between its pages.
      const service = await startService({ ...ctx, flags: { "delay-ms": 0, "per-host": 4, "log-format": "pretty", ...ctx.flags } });
      const job = await crawlThroughApi(service, (line) => ctx.note(line));
      // The service's log lines go out in batches: its lines about the crawl come before what follows.
      service.flushLog();
      await report(ctx, database, job);
      ctx.print("");
      ctx.print("open:");
      ctx.print(`  admin page  ${service.url}${ADMIN_PATH}`);
      ctx.print(`  API docs    ${service.url}/api/docs`);
      ctx.print(`  the items   ${service.url}/api/items?source=quotes`);
      ctx.print(`  the crawl   ${service.url}/api/jobs/${job.id}`);
      if (service.token) ctx.print("  (the API wants Authorization: Bearer $DSCRAPER_API_TOKEN)");
      ctx.print("serving until Ctrl-C; 'dscraper export' shows the definitions, README.md the rest");
      await signals.until(service);
      return job.status === "succeeded" ? 0 : 1;
    } finally {
      await site.stop(true);
    }
  },
});

/** Asks the service for a crawl of the sample source over HTTP, as any client would, and watches it to its end. */
async function crawlThroughApi(service: Service, note: (line: string) => void): Promise<Job> {
  const headers: Record<string, string> = { "content-type": "application/json", ...(service.token ? { authorization: `Bearer ${service.token}` } : {}) };
  const queued = await fetch(`${service.url}/api/sources/quotes/crawl`, { method: "POST", headers, body: "{}" });
  if (queued.status !== 202) throw new Error(`POST /api/sources/quotes/crawl answered ${queued.status}: ${await queued.text()}`);
  let job = (await queued.json()) as Job;
  note(`POST ${service.url}/api/sources/quotes/crawl → 202, job ${job.id} ${job.status}`);
  let shown = "";
  while (job.status === "queued" || job.status === "running") {
    await Bun.sleep(WATCH_MS);
    const answer = await fetch(`${service.url}/api/jobs/${job.id}`, { headers });
    if (answer.status !== 200) throw new Error(`GET /api/jobs/${job.id} answered ${answer.status}: ${await answer.text()}`);
    job = (await answer.json()) as Job;
    const stats = crawlJobStats(job.stats);
    const line = `job ${job.id} ${job.status}${stats ? `: ${stats.pages.main + stats.pages.follow + stats.pages.detail} pages, ${stats.items_read} quotes read, ${stats.items.saved} saved` : ""}`;
    if (line !== shown) note(line);
    shown = line;
  }
  return job;
}

async function report(ctx: Context<typeof SERVE_FLAGS>, database: Database, job: Job): Promise<void> {
  const count = await countItems(database);
  ctx.printJson({ job, items: count });
  const stats = crawlJobStats(job.stats);
  ctx.print(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ""}`);
  if (!stats) return;
  ctx.print(`${stats.pages.main + stats.pages.follow} list pages and ${stats.pages.detail} author pages read`);
  ctx.print(`${stats.items_read} quotes read, ${stats.items.saved} saved, ${stats.items.unchanged} already stored; ${count} items in the database`);
  for (const { id, data } of await sampleItems(database, 3)) {
    ctx.print(`  #${id} ${String(data.text)} — ${String(data.author)} (born ${String(data.author_born_date)}), tags: ${(data.tags as string[]).join(", ")}`);
  }
}
