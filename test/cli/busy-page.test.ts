/**
 * A page whose extraction keeps a CPU busy for minutes (a cubic XPath over 2,000 nodes), crawled by real `dscraper
 * crawl` processes against a real site and database file (SPEC.md §4). Reading happens on threads, so the busy
 * page holds neither the job's heartbeats nor Ctrl-C; it gets a time limit; and a run that lost its lease meanwhile
 * stops without writing over what the job was given, while a second crawl of the source, let in after the lease
 * expired, runs. Every assertion is about statuses, counts and order: when the process would have been stuck
 * behind the page (as before reading moved to threads), the test's own timeout is what fails.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { connectDatabase } from "../../cli/database.ts";
import { expireDeadJobs, LEASE_MS } from "../../src/jobs/lifecycle.ts";
import { ROOT, runCli } from "../support/cli.ts";
import { importedProject, projectDatabaseUrl } from "../support/project.ts";
import { nextLinkBundle } from "../support/quotes-bundle.ts";
import { html, startSite, type Site } from "../support/site.ts";
import { until } from "../support/time.ts";

/** Every q div counts, for every span, all the spans: n³ node visits (2,000: about 20 minutes on one core). */
const BASE_XPATH = "//div[@class='q'][count(//span[count(//span) > 0]) > 0]";

function busyPage(next: string): string {
  const divs = Array.from({ length: 2000 }, (_, i) => `<div class="q"><span>busy ${i}</span></div>`).join("");
  return html(`<a class="next" href="${next}">next</a>${divs}`);
}

function lightPage(items: string[], next?: string): string {
  return html(`${next ? `<a class="next" href="${next}">next</a>` : ""}${items.map((t) => `<div class="q"><span>${t}</span></div>`).join("")}`);
}

const site: Site = startSite({});
const spawned: Bun.Subprocess[] = [];
afterAll(async () => {
  // A process a failing test left behind would burn a core for minutes.
  for (const proc of spawned) if (proc.exitCode === null) proc.kill("SIGKILL");
  await site.close();
});

const FAST = ["--delay-ms", "0", "--ignore-robots", "--per-host", "4"];

/** A project whose source `name` reads quotes (`div.q` blocks, text in their span) from `url` on. */
function setup(name: string, url: string): Promise<string> {
  return importedProject(nextLinkBundle({ name, url }, [{ name: "text", x_path: "span/text()" }], { base: BASE_XPATH }));
}

/** `dscraper crawl` started in the background (a real process, without the user's DSCRAPER_* settings). */
function startCrawl(cwd: string, args: string[], env: Record<string, string> = {}) {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("DSCRAPER_")) clean[k] = v;
  const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "crawl", ...args, ...FAST], { cwd, env: { ...clean, ...env }, stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  return { proc, done: async () => ({ code: await proc.exited, stdout: await stdout, stderr: await stderr }) };
}

async function withDatabase<T>(cwd: string, use: (database: Awaited<ReturnType<typeof connectDatabase>>) => Promise<T>): Promise<T> {
  const database = await connectDatabase(projectDatabaseUrl(cwd));
  try {
    return await use(database);
  } finally {
    database.close();
  }
}

async function jobRows(cwd: string) {
  return withDatabase(cwd, async (database) => {
    const r = await database.client.execute("SELECT id, status, error, stats, attempt, started_at, heartbeat_at, finished_at FROM jobs ORDER BY id");
    return r.rows.map((row) => ({ ...row }));
  });
}

describe("a page that keeps extraction busy", () => {
  test("is stopped at the page time limit: an error naming the limit, counted as page_timeout; the run goes on", async () => {
    site.set("/limit/1", lightPage(["one", "two"], "/limit/busy"));
    site.set("/limit/busy", busyPage("/limit/3"));
    site.set("/limit/3", lightPage(["three"]));
    const cwd = await setup("limit", `${site.url}/limit/1`);
    // One thread: page 3 (linked from the busy page, read before its items) can only be read by the thread that
    // replaces the one stopped at the limit.
    const run = startCrawl(cwd, ["limit", "--page-timeout-ms", "3000", "--extract-threads", "1", "--json"]);
    const { code, stdout } = await run.done();
    expect(code).toBe(0);
    const job = JSON.parse(stdout);
    expect(job).toMatchObject({ status: "succeeded", error: null });
    expect(job.stats).toMatchObject({ pages: { main: 1, follow: 1, failed: 1 }, items_read: 3, errors: { page_timeout: 1 }, items: { saved: 3 } });
    const logged = await withDatabase(cwd, async (database) => (await database.client.execute("SELECT level, message, ref_object FROM logs WHERE message LIKE '%time limit%'")).rows);
    expect(logged.map((row) => ({ level: row.level, message: row.message, ref_object: row.ref_object }))).toEqual([
      {
        level: "ERROR",
        message: `follow page ${site.url}/limit/busy: parsing and extraction took longer than the page time limit of 3000 ms (--page-timeout-ms)`,
        ref_object: `${site.url}/limit/busy`,
      },
    ]);
    expect(site.count("/limit/3")).toBe(1);
  }, 120_000);

  test.each([["SIGINT"], ["SIGTERM"]] as const)("%s while the page is read: the job is cancelled and the process exits", async (signal) => {
    const path = `/${signal}`;
    site.set(path, busyPage(`${path}/after`));
    site.set(`${path}/after`, lightPage(["after"]));
    const cwd = await setup(signal, `${site.url}${path}`);
    // A limit far beyond the test's timeout: only the signal can end this run in time.
    const run = startCrawl(cwd, [signal], { DSCRAPER_EXTRACT_THREADS: "1", DSCRAPER_PAGE_TIMEOUT_MS: "3600000" });
    // The page's follow link has been read and fetched: its thread is in the items now, for many minutes.
    await until(() => site.count(`${path}/after`) === 1);
    if (signal === "SIGINT") {
      // While the page keeps its thread busy, the lease is renewed (the heartbeat does not starve behind it).
      await withDatabase(cwd, async (database) => {
        const renewed = async () => {
          const [job] = (await database.client.execute("SELECT started_at, heartbeat_at FROM jobs WHERE id = 1")).rows;
          return Number(job!.heartbeat_at) > Number(job!.started_at);
        };
        while (!(await renewed())) await Bun.sleep(100);
      });
    }
    run.proc.kill(signal);
    const { code, stdout } = await run.done();
    expect(code).toBe(1);
    expect(stdout).toContain("job 1 cancelled: cancelled (interrupted)");
    expect(await jobRows(cwd)).toEqual([expect.objectContaining({ id: 1, status: "cancelled", error: "cancelled (interrupted)" })]);
  }, 120_000);
});

describe("a run that lost its lease while a page kept it busy", () => {
  test("stops without writing over the expired job; a second crawl let in meanwhile runs and keeps its own end", async () => {
    // The first request gets the busy page; the second run's gets a light one.
    let served = 0;
    site.set("/lease", () => new Response(served++ === 0 ? busyPage("/lease/after") : lightPage(["alpha", "beta"]), { headers: { "content-type": "text/html" } }));
    site.set("/lease/after", lightPage(["after"]));
    const cwd = await setup("lease", `${site.url}/lease`);
    const first = startCrawl(cwd, ["lease"], { DSCRAPER_EXTRACT_THREADS: "1", DSCRAPER_PAGE_TIMEOUT_MS: "3600000" });
    await until(() => site.count("/lease/after") === 1);

    // The lease runs out (time is moved on for the expiry, not waited for): a tick, or the next crawl, finds the
    // job dead and marks it failed.
    const expired = await withDatabase(cwd, async (database) => expireDeadJobs(database, new Date(Date.now() + LEASE_MS + 60_000)));
    expect(expired).toBe(1);
    const [dead] = await jobRows(cwd);
    expect(dead).toMatchObject({ id: 1, status: "failed", error: "lease expired: the process running this job stopped renewing it", stats: "{}", attempt: 1 });

    // A second crawl of the source is let in and runs to its end.
    const second = await runCli(["crawl", "lease", ...FAST], { cwd });
    expect(second.stdout).toContain("job 2 succeeded");
    expect(second.stdout).toContain("items: 2 read, 2 saved, 0 updated, 0 unchanged, 0 dropped");
    expect(second.code).toBe(0);

    // The first run finds out at its next heartbeat, stops, and writes nothing over either job.
    const { code, stdout, stderr } = await first.done();
    expect(code).toBe(1);
    expect(stdout).toContain("job 1 failed: lease expired: the process running this job stopped renewing it");
    expect(stderr).toContain("the run lost its lease (declared dead while it ran) and stopped");
    const [one, two] = await jobRows(cwd);
    expect(one).toEqual(dead!);
    expect(two).toMatchObject({ id: 2, status: "succeeded", error: null });
    expect(JSON.parse(String(two!.stats))).toMatchObject({ items_read: 2, items: { saved: 2 } });
    const items = await withDatabase(cwd, async (database) => (await database.client.execute("SELECT data FROM items ORDER BY id")).rows);
    expect(items.map((row) => JSON.parse(String(row.data)).text)).toEqual(["alpha", "beta"]);
    expect(site.count("/lease")).toBe(2);
  }, 120_000);
});
