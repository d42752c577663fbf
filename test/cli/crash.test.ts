/**
 * A crawl killed with SIGKILL (SPEC.md §4, issue 10): what it had read is in the database already (items are
 * written as they are read, not when a batch fills), its job keeps its source for the length of its lease, and once
 * the lease has run out the next crawl marks it failed, runs, and stores each item once.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { join } from "node:path";
import { LEASE_MS } from "../../src/jobs/lifecycle.ts";
import { ROOT, runCli } from "../support/cli.ts";
import { importedProject, projectDatabaseUrl } from "../support/project.ts";
import { nextLinkBundle } from "../support/quotes-bundle.ts";
import { html, startSite } from "../support/site.ts";
import { until } from "../support/time.ts";

const PAGES = 5;
let lastPageOpen = false;
const releaseLastPage: (() => void)[] = [];
const page = (n: number) =>
  html(
    Array.from({ length: 10 }, (_, i) => `<div class="q"><span class="t">quote ${n}.${i}</span></div>`).join("") +
      (n <= PAGES ? `<a class="next" href="/p/${n + 1}">next</a>` : ""),
  );
const site = startSite({
  ...Object.fromEntries(Array.from({ length: PAGES }, (_, i) => [`/p/${i + 1}`, page(i + 1)])),
  // The sixth page answers only when the test lets it: the first crawl is killed while it waits for it.
  [`/p/${PAGES + 1}`]: async () => {
    if (!lastPageOpen) await new Promise<void>((resolve) => releaseLastPage.push(resolve));
    return new Response(page(PAGES + 1), { headers: { "content-type": "text/html" } });
  },
});
afterAll(async () => {
  lastPageOpen = true;
  for (const release of releaseLastPage) release();
  await site.close();
});

const bundle = nextLinkBundle({ name: "quotes", url: `${site.url}/p/1` }, [{ name: "text", x_path: "span[@class='t']/text()" }]);

const FAST = ["--delay-ms", "0", "--ignore-robots"];

describe("a crawl killed with SIGKILL", () => {
  test("keeps every item it had read, holds its source for its lease, and the next crawl completes it once", async () => {
    const cwd = await importedProject(bundle);
    const db = createClient({ url: projectDatabaseUrl(cwd) });
    const scalar = async (sql: string) => (await db.execute(sql)).rows[0]![0];
    try {
      const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "crawl", "quotes", ...FAST], { cwd, stdout: "pipe", stderr: "pipe" });
      // Five pages read, the sixth awaited: their 50 items must be stored before anything ends the run.
      await until(async () => Number(await scalar("SELECT count(*) FROM items")) === PAGES * 10);
      proc.kill("SIGKILL");
      await proc.exited;
      expect(Number(await scalar("SELECT count(*) FROM items"))).toBe(PAGES * 10);
      expect(await scalar("SELECT status FROM jobs WHERE id = 1")).toBe("running");

      // Within its lease the dead run still holds the source: a second crawl is refused, naming it.
      const refused = await runCli(["crawl", "quotes", ...FAST], { cwd });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("is already being crawled by job 1");

      // A lease's worth of time later (moved in the database, not waited for), the next crawl takes over.
      await db.execute({ sql: "UPDATE jobs SET heartbeat_at = heartbeat_at - ? WHERE id = 1", args: [LEASE_MS + 1] });
      lastPageOpen = true;
      for (const release of releaseLastPage.splice(0)) release();
      const next = await runCli(["crawl", "quotes", ...FAST], { cwd });
      expect(next.code).toBe(0);
      expect(next.stdout).toContain("10 saved");
      expect((await db.execute("SELECT id, status, error FROM jobs ORDER BY id")).rows.map((r) => [r.id, r.status, r.error])).toEqual([
        [1, "failed", "lease expired: the process running this job stopped renewing it"],
        [2, "succeeded", null],
      ]);
      expect(Number(await scalar("SELECT count(*) FROM items"))).toBe((PAGES + 1) * 10);
      expect(Number(await scalar("SELECT count(DISTINCT unique_key) FROM items"))).toBe((PAGES + 1) * 10);
    } finally {
      db.close();
    }
  });
});
