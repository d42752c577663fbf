import { summarizeCheckerTests, testCheckers, type CheckerTestReport, type CheckerTestSummary } from "../../src/check/checker-test.ts";
import { findScraper } from "../../src/db/definitions.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { NotFoundError } from "../../src/errors.ts";
import { defineCommand } from "../command.ts";
import { FETCH_FLAGS, fetchSettings } from "../settings.ts";
import { onInterrupt } from "../signals.ts";

/** The fetch flags that mean something for a single request per checker: conditional requests do not. */
const { "no-cache": _noCache, ...CHECKER_FETCH_FLAGS } = FETCH_FLAGS;
export { CHECKER_FETCH_FLAGS };

export default defineCommand({
  name: "checker-test",
  args: "SCRAPER",
  summary: "test a scraper's checkers against their checker_ref_url (SCRAPER = id or name)",
  details: [
    "Each checker requests its checker_ref_url (a URL that answers like a deleted item) with the headers and cookies",
    "of its attr's detail page type, and is judged:",
    "  404 checker:           a 404 is OK, any other answer a WARNING;",
    "  404_OR_X_PATH checker: the XPath matching (with checker_x_path_result, when set) is OK, a 404 a WARNING",
    "                         (the XPath could not be tried), no match or another value an ERROR;",
    "  either:                no checker_ref_url is a WARNING; a network error or a 5xx answer an ERROR.",
    "Exit 0 when no checker gave an ERROR, 1 when one did, 2 when SCRAPER does not exist or has no checkers.",
  ].join("\n"),
  positionals: [1, 1],
  flags: { ...CHECKER_FETCH_FLAGS },
  async run(ctx) {
    const settings = fetchSettings(ctx.flags, ctx.env);
    const database = await ctx.database();
    const scraper = await findScraper(database, ctx.positionals[0]!);
    if (scraper.body.checkers.length === 0) throw new NotFoundError(`scraper "${scraper.name}" has no checkers to test`);
    const controller = new AbortController();
    const release = onInterrupt(() => controller.abort(new Error("interrupted")));
    let results: CheckerTestReport[];
    try {
      results = await testCheckers(scraper, new Fetcher(settings), controller.signal);
    } finally {
      release();
    }
    const summary = summarize(results);
    ctx.printJson({ scraper: { id: scraper.id, name: scraper.name, status: scraper.status }, summary, results });
    for (const line of resultsTable(results)) ctx.print(line);
    ctx.print(summaryLine(summary));
    return summary.ERROR > 0 ? 1 : 0;
  },
});

export type Summary = CheckerTestSummary;
export const summarize = summarizeCheckerTests;

export function summaryLine(s: Summary): string {
  const n = s.OK + s.WARNING + s.ERROR;
  return `${n} checker${n === 1 ? "" : "s"} tested: ${s.OK} OK, ${s.WARNING} WARNING, ${s.ERROR} ERROR`;
}

export function resultsTable(results: readonly CheckerTestReport[]): string[] {
  return formatTable(
    ["RESULT", "SCRAPER", "ATTR", "TYPE", "REF URL", "DETAIL"],
    results.map((r) => [r.result, r.scraper, r.attr, r.checker_type, r.ref_url || "-", r.detail]),
  );
}

/** Columns padded to their widest cell; the last one is not, so a long detail does not drag trailing spaces. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
