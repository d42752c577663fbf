/**
 * checker-test, run-checker-tests, check-last-saves and check-last-deletes as a user runs them: real processes, a
 * real site, a real database file and a real webhook receiving the alerts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runCli } from "../support/cli.ts";
import { importedProject, projectRows } from "../support/project.ts";
import { html, startSite, type Hit } from "../support/site.ts";
import { tempDir } from "../support/temp.ts";

const site = startSite({
  "/gone": { status: 404, body: html("<p>no such offer</p>") },
  "/deleted": html(`<div class="msg">This offer was deleted</div>`),
  "/alive": html(`<div class="msg">Still for sale</div>`),
});
const hook = startSite({
  "/hook": { status: 204 },
  "/hook-broken": { status: 500, body: "down" },
});
afterAll(async () => {
  await site.close();
  await hook.close();
});

const FAST = ["--delay-ms", "0", "--ignore-robots"];

const DAY = 86_400_000;

/**
 * good (ACTIVE): both checkers OK; warn (ACTIVE): a 404 checker whose ref URL answers 200 → WARNING; bad (MANUAL):
 * an XPath checker whose expected value is not on the page → ERROR, and a checker without ref URL → WARNING;
 * plain (ACTIVE): no checkers.
 */
function bundle() {
  const scraper = (name: string, status: string, checkers: object[], periods: Record<string, string> = {}) => ({
    name,
    class: "Offer",
    status,
    ...periods,
    page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }],
    elems: [
      { attr: "base", x_path: "//li" },
      { attr: "title", x_path: "text()" },
      { attr: "url", x_path: "a/@href" },
    ],
    checkers,
  });
  return {
    classes: [
      {
        name: "Offer",
        attrs: [
          { name: "base", attr_type: "B" },
          { name: "title", attr_type: "S", id_field: true },
          { name: "url", attr_type: "U" },
        ],
      },
    ],
    scrapers: [
      scraper(
        "good",
        "ACTIVE",
        [
          { attr: "url", checker_type: "404", checker_ref_url: `${site.url}/gone` },
          { attr: "url", checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='msg']/text()", checker_x_path_result: "This offer was deleted", checker_ref_url: `${site.url}/deleted` },
        ],
        { last_scraper_save_alert_period: "1d", last_checker_delete_alert_period: "1w" },
      ),
      scraper("warn", "ACTIVE", [{ attr: "url", checker_type: "404", checker_ref_url: `${site.url}/alive` }], { last_scraper_save_alert_period: "12h" }),
      scraper(
        "bad",
        "MANUAL",
        [
          { attr: "url", checker_type: "404_OR_X_PATH", checker_x_path: "//div[@class='msg']/text()", checker_x_path_result: "This offer was deleted", checker_ref_url: `${site.url}/alive` },
          { attr: "url", checker_type: "404" },
        ],
        { last_scraper_save_alert_period: "3d", last_checker_delete_alert_period: "2d" },
      ),
      scraper("plain", "ACTIVE", [], { last_checker_delete_alert_period: "1d" }),
    ],
    sources: [],
  };
}

let cwd: string;

beforeAll(async () => {
  cwd = await importedProject(bundle());
});

async function sql(statement: string, args: (number | string | null)[] = []): Promise<void> {
  await projectRows(cwd, { sql: statement, args });
}

/** The webhook posts received during `run`. */
async function posts(run: () => Promise<unknown>): Promise<{ hits: Hit[]; bodies: Record<string, unknown>[] }> {
  const before = hook.hits.length;
  await run();
  const hits = hook.hits.slice(before);
  return { hits, bodies: hits.map((h) => JSON.parse(h.body) as Record<string, unknown>) };
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown> & { results: Record<string, string>[] };

describe("dscraper checker-test SCRAPER", () => {
  test("all checkers OK: a table of results, exit 0; by name or id", async () => {
    for (const ref of ["good", "1"]) {
      const r = await runCli(["checker-test", ref, ...FAST], { cwd });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^RESULT +SCRAPER +ATTR +TYPE +REF URL +DETAIL$/);
      expect(lines[1]).toMatch(new RegExp(`^OK +good +url +404 +${site.url}/gone +HTTP 404: the checker would delete`));
      expect(lines[2]).toMatch(/^OK +good +url +404_OR_X_PATH +\S+\/deleted +checker XPath matched "This offer was deleted"/);
      expect(lines[3]).toBe("2 checkers tested: 2 OK, 0 WARNING, 0 ERROR");
    }
  });

  test("a WARNING alone still exits 0", async () => {
    const r = await runCli(["checker-test", "warn", ...FAST], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 checker tested: 0 OK, 1 WARNING, 0 ERROR");
  });

  test("an ERROR exits 1; --json gives the scraper, the summary and every result", async () => {
    const r = await runCli(["checker-test", "bad", "--json", ...FAST], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const out = json(r.stdout);
    expect(out.scraper).toEqual({ id: 3, name: "bad", status: "MANUAL" });
    expect(out.summary).toEqual({ OK: 0, WARNING: 1, ERROR: 1 });
    expect(out.results).toEqual([
      {
        scraper: "bad",
        attr: "url",
        checker_type: "404_OR_X_PATH",
        ref_url: `${site.url}/alive`,
        result: "ERROR",
        detail: 'checker XPath gave "Still for sale", not "This offer was deleted": the checker would keep an item answering like this',
      },
      { scraper: "bad", attr: "url", checker_type: "404", ref_url: "", result: "WARNING", detail: "no checker_ref_url to test against" },
    ]);
  });

  test.each([
    ["an unknown scraper", ["checker-test", "nope"], 'dscraper: no scraper named "nope"\n'],
    ["a scraper without checkers", ["checker-test", "plain"], 'dscraper: scraper "plain" has no checkers to test\n'],
    ["no SCRAPER", ["checker-test"], "dscraper: 'checker-test' needs SCRAPER (see 'dscraper checker-test --help')\n"],
  ])("%s: exit 2", async (_, args, stderr) => {
    const r = await runCli(args, { cwd });
    expect([r.code, r.stderr]).toEqual([2, stderr]);
  });

  test("--help tells the verdicts and exit codes", async () => {
    const r = await runCli(["checker-test", "--help"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("404_OR_X_PATH checker");
    expect(r.stdout).toContain("Exit 0 when no checker gave an ERROR, 1 when one did");
    expect(r.stdout).toContain("--delay-ms");
    expect(r.stdout).not.toContain("--no-cache");
  });
});

describe("dscraper run-checker-tests", () => {
  test("every scraper with checkers; an ERROR exits 1; --notify posts the ERROR and WARNING results", async () => {
    let r!: Awaited<ReturnType<typeof runCli>>;
    const { hits, bodies } = await posts(async () => (r = await runCli(["run-checker-tests", "--json", "--notify", `${hook.url}/hook`, ...FAST], { cwd })));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const out = json(r.stdout);
    expect(out.summary).toEqual({ OK: 2, WARNING: 2, ERROR: 1 });
    expect(out.results.map((x) => [x.scraper, x.result])).toEqual([
      ["good", "OK"],
      ["good", "OK"],
      ["warn", "WARNING"],
      ["bad", "ERROR"],
      ["bad", "WARNING"],
    ]);
    expect(out.notified).toBe(true);
    expect(hits.map((h) => [h.method, h.headers.get("content-type")])).toEqual([["POST", "application/json"]]);
    const body = bodies[0] as { type: string; subject: string; failures: { scraper: string; result: string }[]; sent_at: string };
    expect(body.type).toBe("checker_tests");
    expect(body.subject).toBe("failing checker tests: 1 ERROR, 2 WARNING in 2 scrapers");
    expect(body.failures.map((f) => [f.scraper, f.result])).toEqual([
      ["warn", "WARNING"],
      ["bad", "ERROR"],
      ["bad", "WARNING"],
    ]);
    expect(body.failures).toEqual(out.failures as never);
    expect(Date.now() - Date.parse(body.sent_at)).toBeLessThan(60_000);
  });

  test("--report-only-errors reports (and posts) the ERROR results only", async () => {
    let r!: Awaited<ReturnType<typeof runCli>>;
    const { bodies } = await posts(async () => (r = await runCli(["run-checker-tests", "--report-only-errors", "--notify", `${hook.url}/hook`, ...FAST], { cwd })));
    expect(r.code).toBe(1);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.subject).toBe("failing checker tests: 1 ERROR in 1 scraper");
    expect((bodies[0]!.failures as { result: string }[]).map((f) => f.result)).toEqual(["ERROR"]);
    // The table still shows every result.
    expect(r.stdout).toMatch(/^WARNING +warn /m);
    expect(r.stdout).toContain("5 checkers tested: 2 OK, 2 WARNING, 1 ERROR in 3 scrapers");
    expect(r.stdout).toContain("notified the webhook of 1 failure");
  });

  test("--only-active: the MANUAL scraper is left out; warnings alone exit 0 and are still posted", async () => {
    let r!: Awaited<ReturnType<typeof runCli>>;
    const { bodies } = await posts(async () => (r = await runCli(["run-checker-tests", "--only-active", "--json", ...FAST], { cwd, env: { DSCRAPER_NOTIFY_URL: `${hook.url}/hook` } })));
    expect(r.code).toBe(0);
    expect(json(r.stdout).results.map((x) => x.scraper)).toEqual(["good", "good", "warn"]);
    expect(bodies.map((b) => (b.failures as { scraper: string }[]).map((f) => f.scraper))).toEqual([["warn"]]);
  });

  test("nothing to report: no post", async () => {
    let r!: Awaited<ReturnType<typeof runCli>>;
    const { hits } = await posts(async () => (r = await runCli(["run-checker-tests", "--only-active", "--report-only-errors", "--notify", `${hook.url}/hook`, ...FAST], { cwd })));
    expect(r.code).toBe(0);
    expect(hits).toEqual([]);
    expect(r.stdout).not.toContain("notified");
  });

  test("a webhook that fails: the results are still printed, the failure is said on stderr, exit 1", async () => {
    const r = await runCli(["run-checker-tests", "--only-active", "--json", "--notify", `${hook.url}/hook-broken`, ...FAST], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dscraper: webhook ${hook.url}/hook-broken answered HTTP 500\n`);
    const out = json(r.stdout);
    expect(out.results).toHaveLength(3);
    expect([out.notified, out.notify_error]).toEqual([false, `webhook ${hook.url}/hook-broken answered HTTP 500`]);
  });

  test("a bad --notify URL is refused before anything is fetched: exit 2", async () => {
    const before = site.hits.length;
    const r = await runCli(["run-checker-tests", "--notify", "ftp://hooks.example/x", ...FAST], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dscraper: --notify: webhook URL "ftp://hooks.example/x" must be http:// or https://, not ftp:\n');
    expect(site.hits.length).toBe(before);
  });

  test("no scraper with checkers: exit 0", async () => {
    const empty = tempDir();
    const r = await runCli(["run-checker-tests"], { cwd: empty });
    expect([r.code, r.stdout]).toEqual([0, "no scraper has checkers: nothing to test\n"]);
  });
});

describe("dscraper check-last-saves / check-last-deletes", () => {
  beforeAll(async () => {
    const now = Date.now();
    // good saved 2 days ago (period 1d); warn saved an hour ago (12h); bad (MANUAL, 3d) never saved and was
    // created 4 days ago; plain has no save period.
    await sql("UPDATE scrapers SET created_at = ?", [now - 30 * DAY]);
    await sql("UPDATE scrapers SET last_scraper_save = ? WHERE name = 'good'", [now - 2 * DAY]);
    await sql("UPDATE scrapers SET last_scraper_save = ? WHERE name = 'warn'", [now - 3_600_000]);
    await sql("UPDATE scrapers SET created_at = ? WHERE name = 'bad'", [now - 4 * DAY]);
    // Deletes: good deleted 8 days ago (1w); bad 1 day ago (2d); plain (1d) has no checkers, so never alerts.
    await sql("UPDATE scrapers SET last_checker_delete = ? WHERE name = 'good'", [now - 8 * DAY]);
    await sql("UPDATE scrapers SET last_checker_delete = ? WHERE name = 'bad'", [now - DAY]);
  });

  test("check-last-saves: alerts exit 1 with a table; a never-saved scraper counts from its creation", async () => {
    const r = await runCli(["check-last-saves"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +SCRAPER +STATUS +PERIOD +OVERDUE BY +LAST SAVE$/);
    expect(lines[1]).toMatch(/^1 +good +ACTIVE +1d +(23h 59m|1d) +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lines[2]).toMatch(/^3 +bad +MANUAL +3d +(23h 59m|1d) +never \(created \d{4}-\d\d-\d\dT[\d:]+Z\)$/);
    expect(lines[3]).toBe("3 scrapers with last_scraper_save_alert_period checked: 2 alerts");
  });

  test("check-last-saves --json --only-active --notify: the ACTIVE alert, posted", async () => {
    let r!: Awaited<ReturnType<typeof runCli>>;
    const { bodies } = await posts(async () => (r = await runCli(["check-last-saves", "--json", "--only-active", "--notify", `${hook.url}/hook`], { cwd })));
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { checked: number; alerts: Record<string, unknown>[]; notified: boolean };
    expect(out.checked).toBe(2);
    expect(out.notified).toBe(true);
    expect(out.alerts.map((a) => [a.scraper_id, a.scraper, a.status, a.period])).toEqual([[1, "good", "ACTIVE", "1d"]]);
    expect(Object.keys(out.alerts[0]!).sort()).toEqual(["last", "overdue_by", "overdue_ms", "period", "scraper", "scraper_id", "since", "status"]);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ type: "last_saves", subject: "1 scraper without a save within the alert period: good", failures: out.alerts });
  });

  test("check-last-deletes: scrapers with checkers only; --notify posts type last_deletes", async () => {
    let r!: Awaited<ReturnType<typeof runCli>>;
    const { bodies } = await posts(async () => (r = await runCli(["check-last-deletes", "--json", "--notify", `${hook.url}/hook`], { cwd })));
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { checked: number; alerts: { scraper: string; overdue_by: string }[] };
    expect(out.checked).toBe(2);
    expect(out.alerts.map((a) => a.scraper)).toEqual(["good"]);
    expect(bodies.map((b) => [b.type, (b.failures as { scraper: string }[]).map((f) => f.scraper)])).toEqual([["last_deletes", ["good"]]]);
  });

  test("no alert: exit 0 and nothing posted", async () => {
    await sql("UPDATE scrapers SET last_checker_delete = ? WHERE name = 'good'", [Date.now()]);
    let r!: Awaited<ReturnType<typeof runCli>>;
    const { hits } = await posts(async () => (r = await runCli(["check-last-deletes", "--notify", `${hook.url}/hook`], { cwd })));
    expect([r.code, r.stdout]).toEqual([0, "2 scrapers with last_checker_delete_alert_period checked: no alert\n"]);
    expect(hits).toEqual([]);
  });

  test("--help explains the alert, the never-saved rule and the exit codes", async () => {
    const r = await runCli(["check-last-saves", "--help"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("counts from its creation");
    expect(r.stdout).toContain("Exit 0 when no alert was raised, 1 when one was or the webhook could not be notified.");
    expect(r.stdout).toContain("[env DSCRAPER_NOTIFY_URL]");
  });
});
