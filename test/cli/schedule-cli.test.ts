/** The scheduling and checking commands as a user runs them: tick, serve, check, sources, demo. */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCli } from "../support/cli.ts";
import { projectRows } from "../support/project.ts";
import { html, startSite } from "../support/site.ts";
import { startServe } from "../support/serve.ts";
import { tempDir } from "../support/temp.ts";

const site = startSite({
  "/list": html(`<div class="q"><h2>One</h2><a href="/p/1">x</a></div><div class="q"><h2>Two</h2><a href="/p/2">x</a></div>`),
  "/p/1": html(`<p>one</p>`),
  "/p/2": html(`<p>two</p>`),
  "/other": html(`<div class="q"><h2>Other</h2><a href="/p/1">x</a></div>`),
});
afterAll(() => site.close());

const FAST = ["--delay-ms", "0", "--ignore-robots", "--per-host", "4"];

function project(status = "ACTIVE") {
  const cwd = tempDir();
  writeFileSync(
    join(cwd, "b.json"),
    JSON.stringify({
      classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S" }, { name: "url", attr_type: "U", id_field: true }] }],
      scrapers: [
        {
          name: "q",
          class: "Q",
          status,
          page_types: [{ page_type: "MP" }],
          elems: [
            { attr: "base", x_path: "//div[@class='q']" },
            { attr: "title", x_path: "h2/text()" },
            { attr: "url", x_path: "a/@href" },
          ],
          checkers: [{ attr: "url", checker_type: "404" }],
        },
      ],
      sources: [
        { name: "list", url: `${site.url}/list`, scraper: "q" },
        { name: "other", url: `${site.url}/other`, scraper: "q", active: false },
      ],
    }),
  );
  return cwd;
}

describe("dscraper tick", () => {
  test("runs the due sources of ACTIVE scrapers (not inactive sources) and moves their runtimes", async () => {
    const cwd = project();
    await runCli(["import", "b.json"], { cwd });
    const r = await runCli(["tick", ...FAST], { cwd });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("tick: 1 crawl and 0 checks run");
    expect(r.stdout).toMatch(/job 1 crawl of source 1: succeeded/);
    const [runtime] = await projectRows(cwd, "SELECT next_action_time - (SELECT finished_at FROM jobs WHERE id = 1) AS ahead, next_action_factor, num_zero_actions FROM scheduler_runtimes WHERE source_id = 1");
    expect(runtime).toMatchObject({ next_action_factor: 7.692, num_zero_actions: 0 });
    // 115 minutes after the run (first success: 15 × 10 / 1.3), give or take the run's own duration
    expect(Math.abs(Number(runtime!.ahead) - 115 * 60_000)).toBeLessThan(5_000);
    const again = await runCli(["tick", "--json", ...FAST], { cwd });
    expect(JSON.parse(again.stdout)).toEqual({ expired: 0, jobs: [] });
  });

  test("a PAUSED scraper's sources are never run by the scheduler", async () => {
    const cwd = project("PAUSED");
    await runCli(["import", "b.json"], { cwd });
    const r = await runCli(["tick", "--json", ...FAST], { cwd });
    expect(JSON.parse(r.stdout).jobs).toEqual([]);
  });

  test("a failed run (site down) still moves the runtime: no runtime stays in the past", async () => {
    const cwd = project();
    await runCli(["import", "b.json"], { cwd });
    await projectRows(cwd, "UPDATE sources SET url = 'http://127.0.0.1:1/nothing-listens' WHERE id = 1");
    const r = await runCli(["tick", "--json", ...FAST, "--timeout-ms", "1000"], { cwd });
    const [job] = JSON.parse(r.stdout).jobs;
    expect(job).toMatchObject({ status: "failed", error: "no main page could be fetched" });
    const [runtime] = await projectRows(cwd, "SELECT next_action_time > (SELECT finished_at FROM jobs WHERE id = 1) AS future, num_zero_actions FROM scheduler_runtimes WHERE source_id = 1");
    expect(runtime).toEqual({ future: 1, num_zero_actions: 1 });
  });
});

describe("dscraper crawl and the schedule", () => {
  test("a crawl by hand moves the source's runtime only with --update-schedule", async () => {
    const cwd = project();
    await runCli(["import", "b.json"], { cwd });
    const due = (await projectRows(cwd, "SELECT next_action_time, next_action_factor FROM scheduler_runtimes WHERE source_id = 1"))[0];
    expect((await runCli(["crawl", "list", ...FAST], { cwd })).code).toBe(0);
    expect((await projectRows(cwd, "SELECT next_action_time, next_action_factor FROM scheduler_runtimes WHERE source_id = 1"))[0]).toEqual(due!);
    expect((await runCli(["crawl", "list", "--update-schedule", "--no-cache", ...FAST], { cwd })).code).toBe(0);
    // nothing new this time: a run without success (zeros 1, factor INITIAL, 150 minutes)
    expect((await projectRows(cwd, "SELECT next_action_factor, num_zero_actions FROM scheduler_runtimes WHERE source_id = 1"))[0]).toEqual({ next_action_factor: 10, num_zero_actions: 1 });
  });
});

describe("dscraper check", () => {
  test("counts a 404, deletes after the second one; --dry-run reports without acting; the runtime moves only with --update-schedule", async () => {
    const cwd = project();
    await runCli(["import", "b.json"], { cwd });
    await runCli(["crawl", "list", ...FAST], { cwd });
    const ids = (await projectRows(cwd, "SELECT id, url FROM items ORDER BY id")).map((r) => ({ id: Number(r.id), url: String(r.url) }));
    const one = ids.find((i) => i.url.endsWith("/p/1"))!.id;
    site.set("/p/1", undefined);
    const before = (await projectRows(cwd, `SELECT next_action_time FROM scheduler_runtimes WHERE item_id = ${one}`))[0];

    const dry = await runCli(["check", String(one), "--dry-run", ...FAST], { cwd });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`url ${site.url}/p/1: not_found (HTTP 404)`);
    expect((await projectRows(cwd, `SELECT num_404 FROM scheduler_runtimes WHERE item_id = ${one}`))[0]).toEqual({ num_404: 0 });

    const first = await runCli(["check", String(one), ...FAST], { cwd });
    expect(first.stdout).toContain(`item ${one}: kept (404 answers in a row: 1)`);
    expect((await projectRows(cwd, `SELECT num_404, next_action_time FROM scheduler_runtimes WHERE item_id = ${one}`))[0]).toEqual({ num_404: 1, next_action_time: before!.next_action_time });

    const wouldDelete = await runCli(["check", String(one), "--dry-run", "--json", ...FAST], { cwd });
    expect(JSON.parse(wouldDelete.stdout).stats.action).toBe("would delete");

    const second = await runCli(["check", String(one), "--update-schedule", ...FAST], { cwd });
    expect(second.stdout).toContain(`item ${one}: deleted`);
    expect(await projectRows(cwd, `SELECT id FROM items WHERE id = ${one}`)).toEqual([]);
    expect(await projectRows(cwd, `SELECT id FROM scheduler_runtimes WHERE item_id = ${one}`)).toEqual([]);
    site.set("/p/1", html(`<p>one</p>`));
  });

  test("a 200 answer resets the 404 count; an unknown item is bad input", async () => {
    const cwd = project();
    await runCli(["import", "b.json"], { cwd });
    await runCli(["crawl", "list", ...FAST], { cwd });
    const [row] = await projectRows(cwd, "SELECT id FROM items WHERE url LIKE '%/p/2'");
    await projectRows(cwd, `UPDATE scheduler_runtimes SET num_404 = 1 WHERE item_id = ${row!.id}`);
    const r = await runCli(["check", String(row!.id), ...FAST], { cwd });
    expect(r.stdout).toContain(`item ${row!.id}: kept`);
    expect((await projectRows(cwd, `SELECT num_404 FROM scheduler_runtimes WHERE item_id = ${row!.id}`))[0]).toEqual({ num_404: 0 });
    const missing = await runCli(["check", "999", ...FAST], { cwd });
    expect(missing).toMatchObject({ code: 2, stderr: "dscraper: no item with id 999\n" });
  });
});

describe("dscraper sources", () => {
  test("--json lists the sources with their runtimes (ISO times)", async () => {
    const cwd = project();
    await runCli(["import", "b.json"], { cwd });
    const r = await runCli(["sources", "--json"], { cwd });
    const list = JSON.parse(r.stdout);
    expect(list.map((s: { name: string; active: boolean }) => [s.name, s.active])).toEqual([
      ["list", true],
      ["other", false],
    ]);
    expect(list[0]).toMatchObject({ id: 1, scraper: "q", scraper_id: 1, url: `${site.url}/list`, urls: [] });
    expect(list[0].runtime).toEqual({ next_action_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), next_action_factor: null, num_zero_actions: 0 });
    const human = await runCli(["sources"], { cwd });
    expect(human.stdout).toContain("1  list  scraper q (ACTIVE)  next run ");
  });
});

describe("dscraper serve", () => {
  test("ticks at start, runs the due crawl, and stops cleanly on SIGTERM", async () => {
    const cwd = project();
    await runCli(["import", "b.json"], { cwd });
    const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "serve", "--port", "0", ...FAST], { cwd, stdout: "pipe", stderr: "pipe" });
    let seen = 0;
    for (let i = 0; i < 200 && seen === 0; i++) {
      await Bun.sleep(50);
      seen = Number((await projectRows(cwd, "SELECT count(*) AS n FROM jobs WHERE status = 'succeeded'"))[0]!.n);
    }
    expect(seen).toBe(1);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const log = (await new Response(proc.stdout).text()).trim().split("\n").map((l) => JSON.parse(l) as { msg: string });
    expect(log[0]!.msg).toMatch(/^dscraper serve: listening on http:\/\/127\.0\.0\.1:\d+ \(API docs: .*\); a tick every minute, 4 worker\(s\)/);
    expect(log.some((l) => l.msg.includes("tick: queued 1 crawl(s) and 0 check(s)"))).toBe(true);
    expect(log.at(-1)!.msg).toBe("stopped");
  });
});

describe("dscraper serve --notify", () => {
  test("runs the daily monitoring round at start and POSTs the failures to the webhook", async () => {
    const received: unknown[] = [];
    const hook = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        received.push(await request.json());
        return new Response("ok");
      },
    });
    try {
      const cwd = project();
      const bundle = JSON.parse(await Bun.file(join(cwd, "b.json")).text());
      // a 404 checker whose reference page answers 200: a WARNING
      bundle.scrapers[0].checkers[0].checker_ref_url = `${site.url}/p/2`;
      bundle.scrapers[0].last_scraper_save_alert_period = "1h";
      writeFileSync(join(cwd, "b.json"), JSON.stringify(bundle));
      await runCli(["import", "b.json"], { cwd });
      const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "serve", "--port", "0", "--no-scheduler", "--notify", `http://127.0.0.1:${hook.port}/hook`, ...FAST], { cwd, stdout: "pipe", stderr: "pipe" });
      for (let i = 0; i < 200 && received.length === 0; i++) await Bun.sleep(50);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(received[0]).toMatchObject({
        type: "checker_tests",
        subject: "failing checker tests: 0 ERROR, 1 WARNING in 1 scraper",
        failures: [{ scraper: "q", attr: "url", result: "WARNING" }],
      });
    } finally {
      await hook.stop(true);
    }
  });
});

describe("dscraper demo (npm start)", () => {
  test("serves the sample site, stores the definitions, starts serve, crawls through the API, prints what to open and serves until Ctrl-C", async () => {
    const cwd = tempDir();
    const first = await startServe(cwd, [], {}, "demo");
    await first.printed("serving until Ctrl-C");
    const out = first.text.join("\n");
    expect(out).toContain("10 quotes read, 10 saved, 0 already stored; 10 items in the database");
    expect(out).toContain("Ada Lovelace (born December 10, 1815)");
    // The crawl was asked for over HTTP, of its own server.
    expect(out).toMatch(/ POST \/api\/sources\/quotes\/crawl 202 \d+ ms /);
    expect(out).toContain(`  API docs    ${first.url}/api/docs`);
    expect(out).toContain(`  admin page  ${first.url}/admin`);
    // The crawl's own lines and the access lines of its polling come before what the demo printed after it.
    expect(out.indexOf(" POST /api/sources/quotes/crawl 202 ")).toBeLessThan(out.indexOf("open:"));
    expect((await fetch(`${first.url}/admin`)).status).toBe(200);
    expect(out).toContain(`  the crawl   ${first.url}/api/jobs/1`);
    // Still serving.
    expect(await (await fetch(`${first.url}/api/jobs/1`)).json()).toMatchObject({ id: 1, status: "succeeded", source: "quotes" });
    expect(await first.stop("SIGINT")).toBe(0);

    const second = await startServe(cwd, [], {}, "demo");
    await second.printed("serving until Ctrl-C");
    expect(second.text.join("\n")).toContain("10 quotes read, 0 saved, 10 already stored; 10 items in the database");
    expect(await second.stop("SIGINT")).toBe(0);
  });
});
