/** `dscraper crawl` as a user runs it: real processes, a real site, a real database file. */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCli } from "../support/cli.ts";
import { projectRows } from "../support/project.ts";
import { html, startSite } from "../support/site.ts";
import { tempDir } from "../support/temp.ts";

const site = startSite({
  "/list": html(
    `<div class="q"><span class="t">“First”, said she</span><a href="/a/1">a</a><i>x</i><i>y</i></div><div class="q"><span class="t">Second</span><a href="/a/2">a</a></div>`,
  ),
  "/a/1": html(`<b class="born">1900</b>`),
  "/a/2": html(`<b class="born">1950</b>`),
});
afterAll(() => site.close());

function bundle(url = `${site.url}/list`, status = "MANUAL") {
  return {
    classes: [
      {
        name: "Q",
        attrs: [
          { name: "base", attr_type: "B" },
          { name: "text", attr_type: "S", id_field: true },
          { name: "tags", attr_type: "S", many: true },
          { name: "author", attr_type: "U" },
          { name: "born", attr_type: "S" },
        ],
      },
    ],
    scrapers: [
      {
        name: "q",
        class: "Q",
        status,
        page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "author" }],
        elems: [
          { attr: "base", x_path: "//div[@class='q']" },
          { attr: "text", x_path: "span[@class='t']/text()" },
          { attr: "tags", x_path: "i/text()", mandatory: false },
          { attr: "author", x_path: "a/@href" },
          { attr: "born", x_path: "//b[@class='born']/text()", page_type: "DP1" },
        ],
      },
    ],
    sources: [{ name: "quotes", url, scraper: "q" }],
  };
}

const FAST = ["--delay-ms", "0", "--ignore-robots", "--per-host", "4"];

function setup(b: object = bundle()): { cwd: string; file: string } {
  const cwd = tempDir();
  const file = join(cwd, "bundle.json");
  writeFileSync(file, JSON.stringify(b));
  return { cwd, file };
}

describe("dscraper crawl", () => {
  test("crawls SOURCE by name or id, stores the items and prints a summary; exit 0", async () => {
    const { cwd, file } = setup();
    const r = await runCli(["crawl", "quotes", "--bundle", file, ...FAST], { cwd });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("job 1 succeeded");
    expect(r.stdout).toContain("pages: 1 main, 0 follow, 2 detail, 0 not modified, 0 failed");
    expect(r.stdout).toContain("items: 2 read, 2 saved, 0 updated, 0 unchanged, 0 dropped");
    expect((await projectRows(cwd, "SELECT data FROM items ORDER BY id")).map((x) => JSON.parse(String(x.data)).born).sort()).toEqual(["1900", "1950"]);
    const byId = await runCli(["crawl", "1", ...FAST, "--no-cache"], { cwd });
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain("0 saved, 0 updated, 2 unchanged");
  });

  test("--json prints the job record", async () => {
    const { cwd, file } = setup();
    const r = await runCli(["crawl", "quotes", "--bundle", file, "--json", ...FAST], { cwd });
    const job = JSON.parse(r.stdout);
    expect(job).toMatchObject({ id: 1, kind: "crawl", status: "succeeded", source_id: 1, dry_run: false, error: null });
    expect(job.stats.items).toMatchObject({ saved: 2 });
    expect(job.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test("a main page without items is shown: a WARNING on stderr, the count in the summary and in --json", async () => {
    site.set("/empty", html(`<p>nothing to see</p>`));
    const { cwd, file } = setup(bundle(`${site.url}/empty`));
    const r = await runCli(["crawl", "quotes", "--bundle", file, ...FAST], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("pages: 1 main (1 without items: the base XPath matched nothing, see the log), 0 follow");
    const warning = JSON.parse(r.stderr.trim().split("\n").find((l) => l.includes('"WARNING"'))!);
    expect(warning).toMatchObject({ level: "WARNING", msg: `main page ${site.url}/empty: the base XPath //div[@class='q'] matched nothing (no items on this page)`, ref_object: `${site.url}/empty` });
    const json = JSON.parse((await runCli(["crawl", "quotes", "--json", ...FAST], { cwd })).stdout);
    expect(json.stats.pages_without_items).toBe(1);
  });

  const formats: [string, (text: string) => unknown][] = [
    ["items.jsonl", (t) => t.trim().split("\n").map((l) => JSON.parse(l))],
    ["items.json", (t) => JSON.parse(t)],
  ];
  test.each(formats)("--out %s writes the items read", async (name, parse) => {
    const { cwd, file } = setup();
    const r = await runCli(["crawl", "quotes", "--bundle", file, "--out", name, ...FAST], { cwd });
    expect(r.code).toBe(0);
    const items = (parse(readFileSync(join(cwd, name), "utf8")) as Record<string, unknown>[]).sort((a, b) => String(a.text).localeCompare(String(b.text)));
    expect(items).toEqual([
      { text: "“First”, said she", tags: ["x", "y"], author: `${site.url}/a/1`, born: "1900" },
      { text: "Second", tags: [], author: `${site.url}/a/2`, born: "1950" },
    ]);
  });

  test("--out items.csv: a header of the stored attrs, quoted cells, lists as JSON", async () => {
    const { cwd, file } = setup();
    expect((await runCli(["crawl", "quotes", "--bundle", file, "--out", "items.csv", ...FAST], { cwd })).code).toBe(0);
    const lines = readFileSync(join(cwd, "items.csv"), "utf8").trimEnd().split("\r\n").sort();
    expect(lines).toEqual([
      `"“First”, said she","[""x"",""y""]",${site.url}/a/1,1900`,
      `Second,[],${site.url}/a/2,1950`,
      "text,tags,author,born",
    ]);
  });

  test("--out over an existing file replaces it, never merges with it", async () => {
    const { cwd, file } = setup();
    const old = Array.from({ length: 50 }, (_, i) => JSON.stringify({ text: `an older and much longer row number ${i}` })).join("\n");
    writeFileSync(join(cwd, "items.jsonl"), `${old}\n`);
    expect((await runCli(["crawl", "quotes", "--bundle", file, "--out", "items.jsonl", ...FAST], { cwd })).code).toBe(0);
    const lines = readFileSync(join(cwd, "items.jsonl"), "utf8").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).text).sort()).toEqual(["Second", "“First”, said she"]);
    expect(readdirSync(cwd).sort()).toEqual(["bundle.json", "data", "items.jsonl"]);
  });

  test("a failed run does not replace an existing --out file", async () => {
    const { cwd, file } = setup(bundle(`${site.url}/no-such-page`));
    writeFileSync(join(cwd, "items.json"), "[]\n");
    const r = await runCli(["crawl", "quotes", "--bundle", file, "--out", "items.json", ...FAST], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("job 1 failed: no main page could be fetched");
    expect(r.stderr).toContain("--out items.json: not written (the run failed)");
    expect(readFileSync(join(cwd, "items.json"), "utf8")).toBe("[]\n");
    expect(readdirSync(cwd).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("a crawl killed while writing --out leaves the existing file as it was", async () => {
    // 300 rows of 2 KB on the first page: a batch of 200 items is more than the writer gathers, so rows
    // reach the disk while the second start URL still hangs.
    const rows = Array.from({ length: 300 }, (_, i) => `<div class="q"><span class="t">row ${i} ${"x".repeat(2000)}</span><a href="/a/1">a</a></div>`).join("");
    site.set("/many", html(rows));
    site.set("/stuck", async () => {
      await Bun.sleep(20_000);
      return new Response("never", { headers: { "content-type": "text/html" } });
    });
    const b = bundle(`${site.url}/many`);
    Object.assign(b.sources[0]!, { urls: [`${site.url}/stuck`] });
    b.scrapers[0]!.elems = b.scrapers[0]!.elems.filter((e) => e.page_type !== "DP1");
    b.scrapers[0]!.page_types = [{ page_type: "MP" }];
    const { cwd, file } = setup(b);
    const old = "the old content\n";
    writeFileSync(join(cwd, "items.jsonl"), old);
    const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "crawl", "quotes", "--bundle", file, "--out", "items.jsonl", ...FAST], { cwd, stdout: "pipe", stderr: "pipe" });
    const written = () => readdirSync(cwd).some((f) => f.endsWith(".tmp") && statSync(join(cwd, f)).size > 0) || readFileSync(join(cwd, "items.jsonl"), "utf8") !== old;
    for (let i = 0; i < 1000 && !written(); i++) await Bun.sleep(20);
    expect(written()).toBe(true);
    proc.kill("SIGKILL");
    await proc.exited;
    expect(readFileSync(join(cwd, "items.jsonl"), "utf8")).toBe(old);
  });

  test("--dry-run with --bundle uses the definitions without storing them; only its job and logs are written", async () => {
    const { cwd, file } = setup();
    const r = await runCli(["crawl", "quotes", "--bundle", file, "--dry-run", "--out", "x.jsonl", ...FAST], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("2 new (not saved: dry run)");
    expect(readFileSync(join(cwd, "x.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    const counts = await projectRows(cwd, "SELECT (SELECT count(*) FROM classes) c, (SELECT count(*) FROM items) i, (SELECT count(*) FROM scheduler_runtimes) r, (SELECT count(*) FROM jobs) j");
    expect({ ...counts[0] }).toMatchObject({ c: 0, i: 0, r: 0, j: 1 });
    expect({ ...(await projectRows(cwd, "SELECT source_id, dry_run, status FROM jobs"))[0] }).toMatchObject({ source_id: null, dry_run: 1, status: "succeeded" });
  });

  test("a PAUSED scraper is refused: exit 1, one line", async () => {
    const { cwd, file } = setup(bundle(undefined, "PAUSED"));
    const r = await runCli(["crawl", "quotes", "--bundle", file, ...FAST], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('dscraper: scraper "q" is PAUSED: it does not run (set its status to ACTIVE or MANUAL to run it)\n');
  });

  const usage: [string, string[], string][] = [
    ["unknown source", ["crawl", "nope"], 'dscraper: no source named "nope"\n'],
    ["bad override", ["crawl", "quotes", "--max-items-read", "0"], "dscraper: --max-items-read must be at least 1, got 0\n"],
    ["bad --url", ["crawl", "quotes", "--url", "ftp://x"], "dscraper: --url: must be an absolute http(s) URL\n"],
    ["bad --out", ["crawl", "quotes", "--out", "items.txt"], "dscraper: --out: 'items.txt' must end in .jsonl, .json or .csv (the format is taken from it)\n"],
    ["bad --tz", ["crawl", "quotes", "--tz", "Mars/Olympus"], "dscraper: --tz: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)\n"],
    ["bad --log-level", ["crawl", "quotes", "--log-level", "LOUD"], "dscraper: --log-level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'\n"],
    ["page window without generated pages", ["crawl", "quotes", "--start-page", "3"], "dscraper: invalid input (1 problem):\n  start_page: only applies to RANGE_FUNCT and FREE_LIST pagination, not NONE\n"],
  ];
  test.each(usage)("bad input (%s) exits 2 naming it", async (_name, args, stderr) => {
    const { cwd, file } = setup();
    await runCli(["import", file], { cwd });
    const r = await runCli(args, { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(stderr)).toBe(true);
    expect(r.stderr).not.toContain("    at ");
  });

  test("a second crawl of a source being crawled is refused, naming the running job; exit 1", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    site.set("/slow", async () => {
      await gate;
      return new Response(html("<p>late</p>"), { headers: { "content-type": "text/html" } });
    });
    const { cwd, file } = setup(bundle(`${site.url}/slow`));
    await runCli(["import", file], { cwd });
    const first = runCli(["crawl", "quotes", ...FAST], { cwd });
    while (site.count("/slow") === 0) await Bun.sleep(10);
    const second = await runCli(["crawl", "quotes", ...FAST], { cwd });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^dscraper: source "quotes" is already being crawled by job 1 \(running since \d{4}-.*\)\n$/);
    release();
    expect((await first).code).toBe(0);
  });

  test("Ctrl-C marks the running job cancelled", async () => {
    site.set("/hang", async () => {
      await Bun.sleep(20_000);
      return new Response("never", { headers: { "content-type": "text/html" } });
    });
    const { cwd, file } = setup(bundle(`${site.url}/hang`));
    await runCli(["import", file], { cwd });
    writeFileSync(join(cwd, "items.csv"), "kept\r\n");
    const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "crawl", "quotes", "--out", "items.csv", ...FAST], { cwd, stdout: "pipe", stderr: "pipe" });
    while (site.count("/hang") === 0) await Bun.sleep(10);
    proc.kill("SIGINT");
    const code = await proc.exited;
    const stdout = await new Response(proc.stdout).text();
    expect(code).toBe(1);
    expect(stdout).toContain("job 1 cancelled: cancelled (interrupted)");
    // An interrupted run does not replace the file with what it read so far.
    expect(await new Response(proc.stderr).text()).toContain("--out items.csv: not written (the run was cancelled)");
    expect(readFileSync(join(cwd, "items.csv"), "utf8")).toBe("kept\r\n");
    expect(readdirSync(cwd).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect({ ...(await projectRows(cwd, "SELECT status, finished_at IS NOT NULL AS done FROM jobs"))[0] }).toEqual({ status: "cancelled", done: 1 });
  });
});
