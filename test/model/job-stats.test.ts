/** The job stats schemas: what the jobs table holds and the API returns, by kind. */
import { describe, expect, test } from "bun:test";
import { checkJobStats, crawlJobStats, jobStatsSchema } from "../../src/model/job-stats.ts";

const crawl = {
  pages: { main: 1, follow: 2, detail: 4, not_modified: 0, failed: 1, duplicate: 0 },
  items_read: 30,
  pages_without_items: 1,
  errors: { http_404: 1 },
  items: { valid: 30, saved: 28, updated: 1, unchanged: 1, dropped: { "missing mandatory text": 0 } },
};
const check = { checks: [{ attr: "url", url: "http://x.test/a", outcome: "not_found", detail: "HTTP 404" }], action: "kept", num_404: 1 };

describe("job stats", () => {
  const cases: [string, unknown, "crawl" | "check" | "none" | "invalid"][] = [
    ["a crawl's", crawl, "crawl"],
    ["a check's", check, "check"],
    ["a check without a URL", { ...check, checks: [{ ...check.checks[0], url: null, outcome: "unknown" }] }, "check"],
    ["none yet", {}, "none"],
    ["a negative count", { ...crawl, items_read: -1 }, "invalid"],
    ["a page kind that does not exist", { ...crawl, pages: { ...crawl.pages, skipped: 1 } }, "invalid"],
    ["an unknown check outcome", { ...check, checks: [{ ...check.checks[0], outcome: "maybe" }] }, "invalid"],
    ["an unknown action", { ...check, action: "archived" }, "invalid"],
    ["something else", { anything: 1 }, "invalid"],
  ];
  test.each(cases)("%s", (_name, stats, kind) => {
    const parsed = jobStatsSchema.safeParse(stats);
    expect(parsed.success).toBe(kind !== "invalid");
    if (!parsed.success) return;
    expect(parsed.data).toEqual(stats as never);
    expect([crawlJobStats(parsed.data) !== undefined, checkJobStats(parsed.data) !== undefined]).toEqual([kind === "crawl", kind === "check"]);
  });

  test("a crawl stored before pages_without_items was counted reads it as 0", () => {
    const { pages_without_items: _, ...older } = crawl;
    expect(crawlJobStats(jobStatsSchema.parse(older))?.pages_without_items).toBe(0);
  });
});
