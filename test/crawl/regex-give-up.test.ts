/**
 * A `reg_exp` the regex engine gives up on, in a real crawl (a real site, a real database): the issue's
 * `(?:a|a)+c|b` on a value of 30 `a`s and a `b`. JavaScriptCore answers "no match" where there is one, so the value
 * is missing — and the run says so in a WARNING naming the elem, the expression and the page, in its log records
 * and its stored log rows.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { BundleInput } from "../../src/model/bundle.ts";
import { crawlSource, store, storedItems } from "../support/crawl.ts";
import { listPageBundle } from "../support/quotes-bundle.ts";
import { html, startSite } from "../support/site.ts";
import { tempDatabase } from "../support/temp.ts";

const PATTERN = "(?:a|a)+c|b";

const site = startSite({
  "/list": html(
    [
      `<div class="q"><h2>short</h2><p>${"a".repeat(10)}b</p></div>`,
      `<div class="q"><h2>long</h2><p>${"a".repeat(30)}b</p></div>`,
      `<div class="q"><h2>none</h2><p>xyz</p></div>`,
    ].join(""),
  ),
});
afterAll(() => site.close());

function bundle(mandatory: boolean): BundleInput {
  return listPageBundle({ name: "q", url: `${site.url}/list` }, [
    { name: "title", x_path: "h2/text()" },
    { name: "code", x_path: "p/text()", reg_exp: PATTERN, mandatory },
  ]);
}

describe("a reg_exp the engine gives up on", () => {
  test("an optional value: the item is saved without it, and a WARNING names the elem, the expression and the page", async () => {
    const database = await tempDatabase();
    await store(database, bundle(false));
    const { job, logs } = await crawlSource(database, "q", {}, {}, {});
    expect(job.status).toBe("succeeded");
    // The engine's answers: "b" where it could search, nothing where it gave up (and where there is none).
    expect(await storedItems(database)).toEqual([
      { title: "short", code: "b" },
      { title: "long", code: null },
      { title: "none", code: null },
    ]);
    const warnings = logs.filter((l) => l.level === "WARNING" && l.msg.includes("gave up"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toStartWith(
      `main page ${site.url}/list: reg_exp of elem "code" (${PATTERN}) gave no match on a value of 31 characters, but the regex engine gave up: a retry found a match it had missed at character 31.`,
    );
    expect(warnings[0]!.ref_object).toBe(`${site.url}/list`);
    // The same line is a stored log row of the job (WARNING is at or above the log level of this crawl).
    const rows = await database.client.execute({ sql: "SELECT level, message, ref_object FROM logs WHERE job_id = ? AND message LIKE '%gave up%'", args: [job.id] });
    expect(rows.rows.map((r) => ({ level: r.level, message: r.message, ref_object: r.ref_object }))).toEqual([{ level: "WARNING", message: warnings[0]!.msg, ref_object: `${site.url}/list` }]);
  });

  test("a mandatory value: the item is dropped, and the WARNING tells why its value is missing", async () => {
    const database = await tempDatabase();
    await store(database, bundle(true));
    const { job, logs } = await crawlSource(database, "q");
    expect(job.stats.items.dropped).toEqual({ "missing mandatory code": 2 });
    expect(await storedItems(database)).toEqual([{ title: "short", code: "b" }]);
    expect(logs.filter((l) => l.level === "WARNING" && l.msg.includes(`reg_exp of elem "code" (${PATTERN}) gave no match`))).toHaveLength(1);
  });
});
