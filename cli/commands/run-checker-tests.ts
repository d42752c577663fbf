import { testCheckers } from "../../src/check/checker-test.ts";
import { scrapersWithCheckers } from "../../src/db/definitions.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { checkerTestsAlert } from "../../src/check/alerts.ts";
import { defineCommand } from "../command.ts";
import { deliver, NOTIFY_FLAGS, notifierOf } from "../notify.ts";
import { onInterrupt } from "../signals.ts";
import { fetchSettings } from "../settings.ts";
import { CHECKER_FETCH_FLAGS, resultsTable, summarize, summaryLine } from "./checker-test.ts";

export default defineCommand({
  name: "run-checker-tests",
  args: "",
  summary: "test the checkers of every scraper that has any (see checker-test)",
  details: [
    "Runs checker-test for every scraper with checkers (every status; ACTIVE only with --only-active) and prints",
    "every result. The failures — ERROR and WARNING results, or ERROR ones only with --report-only-errors, as DDS",
    'mails them — are POSTed to the --notify webhook as {"type": "checker_tests", "subject", "failures": [...],',
    '"sent_at"}, only when there are any.',
    "Exit 0 when no checker gave an ERROR, 1 when one did or the webhook could not be notified.",
  ].join("\n"),
  positionals: [0, 0],
  flags: {
    "only-active": { type: "bool", help: "only ACTIVE scrapers" },
    "report-only-errors": { type: "bool", help: "report (notify) ERROR results only, not WARNING ones" },
    ...NOTIFY_FLAGS,
    ...CHECKER_FETCH_FLAGS,
  },
  async run(ctx) {
    const f = ctx.flags;
    const notifier = notifierOf(f.notify);
    const settings = fetchSettings(f, ctx.env);
    const onlyActive = f["only-active"] === true;
    const database = await ctx.database();
    const scrapers = await scrapersWithCheckers(database, { onlyActive });
    if (scrapers.length === 0) {
      ctx.printJson({ summary: summarize([]), results: [], failures: [], notified: false });
      ctx.print(`no ${onlyActive ? "ACTIVE " : ""}scraper has checkers: nothing to test`);
      return 0;
    }
    const fetcher = new Fetcher(settings);
    const controller = new AbortController();
    const release = onInterrupt(() => controller.abort(new Error("interrupted")));
    let perScraper;
    try {
      // All at once: the fetcher keeps the per-host limits, and scrapers of different sites need not wait in line.
      perScraper = await Promise.all(
        scrapers.map(async (scraper) => {
          const results = await testCheckers(scraper, fetcher, controller.signal);
          const s = summarize(results);
          ctx.note(`${scraper.name}: ${s.OK} OK, ${s.WARNING} WARNING, ${s.ERROR} ERROR`);
          return results;
        }),
      );
    } finally {
      release();
    }
    const results = perScraper.flat();
    const summary = summarize(results);
    const reportOnlyErrors = f["report-only-errors"] === true;
    const alert = checkerTestsAlert(results, reportOnlyErrors);
    const failures = alert?.failures ?? [];
    let delivery: { notified: boolean; notify_error?: string } = { notified: false };
    if (notifier && alert) delivery = await deliver(notifier, alert);
    ctx.printJson({ summary, results, failures, ...delivery });
    for (const line of resultsTable(results)) ctx.print(line);
    ctx.print(`${summaryLine(summary)} in ${scrapers.length} scraper${scrapers.length === 1 ? "" : "s"}`);
    if (delivery.notified) ctx.print(`notified the webhook of ${failures.length} failure${failures.length === 1 ? "" : "s"}`);
    return summary.ERROR > 0 || delivery.notify_error !== undefined ? 1 : 0;
  },
});
