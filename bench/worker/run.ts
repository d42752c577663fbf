/**
 * `bun bench/worker/run.ts [--pages 200] [--budget 40] [--per-host 16] [--port 8091]`: the shared benchmark's quotes
 * site (../shared/bench: gen-site.mjs, served by serve.sh's nginx), range pagination, crawled in the same run by the
 * binary (dist/dscraper, built first) and by the Worker under `wrangler dev` (local Queues and R2, the Hrana test
 * server standing in for Turso; the bundle imported and the crawl asked for through its API), with the benchmark's settings (16 per host, no delay, no robots.txt). Prints
 * pages/s, the Worker's invocations, the largest subrequest count and busy time of one invocation, and whether the
 * items are exactly the expected ones (../shared/bench/check-items.mjs).
 *
 * Busy time is a proxy for CPU time: an invocation's wall time less the time spent waiting on its subrequests and
 * sleeps (`worker_invocations.busy_ms`). wrangler dev enforces no CPU limit and runs one batch at a time, so the
 * Worker's pages/s here says how the queue driver behaves locally, not how fast Cloudflare would run it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startWorker } from "../../test/support/worker.ts";
import { workerApi } from "../../test/worker/support/api.ts";
import { query } from "../../test/worker/support/db.ts";
import type { BundleInput } from "../../src/model/bundle.ts";

const ROOT = join(import.meta.dir, "../..");
const SHARED = join(ROOT, "../shared/bench");
const { values } = parseArgs({
  options: { pages: { type: "string", default: "200" }, budget: { type: "string", default: "40" }, "per-host": { type: "string", default: "16" }, port: { type: "string", default: "8091" } },
});
const pages = Number(values.pages);
const port = Number(values.port);
const perHost = values["per-host"]!;
const base = `http://127.0.0.1:${port}`;
const TOKEN = "bench-worker-token";

async function run(cmd: string[], options: { quiet?: boolean } = {}): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}):\n${out}${err}`);
  if (!options.quiet && err.trim()) console.error(err.trim());
  return out;
}

/** nginx's request counter (its stub_status), to count what each crawler asked for. */
async function requests(): Promise<number> {
  const text = await (await fetch(`${base}/__bench/status`)).text();
  return Number(/^\s*\d+\s+\d+\s+(\d+)/m.exec(text)?.[1] ?? 0);
}

async function check(out: string, site: string): Promise<string> {
  const proc = Bun.spawn(["node", join(SHARED, "check-items.mjs"), out, site, "--base", base, "--json"], { stdout: "pipe", stderr: "pipe" });
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  const summary = JSON.parse(text.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
  return code === 0 ? `exact (${String(summary.expected ?? summary.items ?? "")} items)` : `MISMATCH ${JSON.stringify(summary)}`;
}

const work = mkdtempSync(join(tmpdir(), "dscraper-bench-worker-"));
const site = join(tmpdir(), `crawl-bench-site-q${pages}-b10-n10-p${port}`);
await run(["bash", join(SHARED, "setup.sh"), "nginx", "tools"], { quiet: true });
await run(["node", join(SHARED, "gen-site.mjs"), "--out", site, "--quote-pages", String(pages), "--book-pages", "10", "--news-pages", "10", "--host", `127.0.0.1:${port}`]);
await run(["bash", join(SHARED, "serve.sh"), site, String(port)], { quiet: true });
const rows: string[][] = [];
try {
  const bundle = JSON.parse(readFileSync(join(ROOT, "bench/quotes-range.json"), "utf8")) as BundleInput;
  Object.assign(bundle.scrapers![0]!, { pagination_page_replace: `2, ${pages + 1}` });
  bundle.sources![0]!.url = `${base}/quotes/page/1/`;
  const bundlePath = join(work, "quotes.json");
  writeFileSync(bundlePath, JSON.stringify(bundle));

  // The binary.
  await run([process.execPath, "cli/build.ts"], { quiet: true });
  const binOut = join(work, "binary.jsonl");
  let before = await requests();
  let started = performance.now();
  await run([join(ROOT, "dist/dscraper"), "crawl", "quotes", "--bundle", bundlePath, "--db", `file:${join(work, "binary.db")}`, "--out", binOut, "--concurrency", "16", "--per-host", "16", "--delay-ms", "0", "--ignore-robots", "--quiet"]);
  let seconds = (performance.now() - started) / 1000;
  let asked = (await requests()) - before - 1;
  rows.push(["binary", String(asked), seconds.toFixed(2), (asked / seconds).toFixed(1), "-", "-", "-", await check(binOut, site)]);

  // The Worker.
  const worker = await startWorker({
    database: {},
    vars: { DSCRAPER_API_TOKEN: TOKEN, DSCRAPER_DELAY_MS: "0", DSCRAPER_PER_HOST: perHost, DSCRAPER_OBEY_ROBOTS: "false", DSCRAPER_SUBREQUEST_BUDGET: values.budget!, DSCRAPER_LOG_LEVEL: "CRITICAL" },
  });
  try {
    const db = worker.database!;
    // As a user would: the bundle through the API, the crawl asked for and followed there.
    const api = workerApi(() => worker, TOKEN);
    await api.import(bundle);
    before = await requests();
    started = performance.now();
    const queued = await api.crawl(bundle.sources![0]!.name);
    const job = await api.jobEnded(queued.id, 3_600_000);
    seconds = (performance.now() - started) / 1000;
    asked = (await requests()) - before - 1;
    if (job.status !== "succeeded") throw new Error(`the Worker's crawl ${job.status}: ${job.error}`);
    const out = join(work, "worker.jsonl");
    writeFileSync(out, query(db.dbPath, "SELECT data FROM items ORDER BY id").map((r) => String(r.data)).join("\n") + "\n");
    const [spent] = query(db.dbPath, "SELECT count(*) AS n, max(subrequests) AS most, max(busy_ms) AS busy, sum(subrequests) AS total, max(wall_ms) AS wall FROM worker_invocations WHERE handler LIKE 'queue:%'");
    rows.push([
      `Worker (budget ${values.budget}, ${perHost} per host)`,
      String(asked),
      seconds.toFixed(2),
      (asked / seconds).toFixed(1),
      String(spent!.n),
      `${String(spent!.most)} of ${values.budget}`,
      String(spent!.busy),
      await check(out, site),
    ]);
    console.log(`Worker: ${String(spent!.total)} subrequests in all, longest invocation ${String(spent!.wall)} ms wall`);
  } finally {
    await worker.stop();
  }
} finally {
  await run(["bash", join(SHARED, "serve.sh"), "stop", String(port)], { quiet: true }).catch(() => "");
  rmSync(work, { recursive: true, force: true });
}

console.log(`\nquotes site: ${pages} list pages (range pagination) with their author pages, one run each, on a shared machine`);
console.log("| crawler | requests | wall s | pages/s | invocations | most subrequests in one invocation | most busy ms in one invocation (CPU proxy) | items |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
