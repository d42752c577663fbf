import { describe, expect, test } from "bun:test";
import { progressReporter } from "../../cli/progress.ts";

const record = (level: "INFO" | "WARNING" | "ERROR", msg: string) => ({ time: "2026-01-01T00:00:00.000Z", level, msg, job_id: 1, source_id: 2, scraper_id: 3 });

describe("crawl progress on stderr", () => {
  test("not a terminal: a plain line every 5 seconds, log records from WARNING up as JSON lines", () => {
    let t = 0;
    const out: string[] = [];
    const p = progressReporter({ enabled: true, tty: false, write: (s) => out.push(s), now: () => t });
    p.update({ pagesDone: 1, pagesQueued: 9, items: 10, errors: 0 });
    t = 5000;
    p.update({ pagesDone: 50, pagesQueued: 5, items: 500, errors: 1 });
    t = 6000;
    p.update({ pagesDone: 60, pagesQueued: 0, items: 600, errors: 1 });
    p.log(record("INFO", "chatty"));
    p.log(record("WARNING", "item dropped"));
    p.stop();
    expect(out).toEqual([
      "pages 50 done / 5 queued · items 500 · errors 1 · 10.0 pages/s\n",
      `${JSON.stringify(record("WARNING", "item dropped"))}\n`,
    ]);
  });

  test("quiet: nothing at all", () => {
    const out: string[] = [];
    const p = progressReporter({ enabled: false, tty: true, write: (s) => out.push(s) });
    p.update({ pagesDone: 1, pagesQueued: 0, items: 1, errors: 0 });
    p.log(record("ERROR", "bad"));
    p.stop();
    expect(out).toEqual([]);
  });
});
