/** Running crawls in tests the way the CLI does, against a real database and a real test site. */
import { importBundle } from "../../src/bundle/import.ts";
import { DEFAULT_FETCH_SETTINGS, Fetcher, type FetchSettings } from "../../src/fetch/fetcher.ts";
import { runCrawlJob } from "../../src/jobs/crawl-job.ts";
import { storedDefinitions } from "../../src/jobs/definitions.ts";
import type { LogRecord } from "../../src/jobs/log.ts";
import type { JobRow } from "../../src/jobs/lifecycle.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { systemClock } from "../../src/ports.ts";
import type { Database } from "../../src/db/connect.ts";

/** Fast and impolite: test sites are ours. */
export const TEST_FETCH: FetchSettings = { ...DEFAULT_FETCH_SETTINGS, delayMs: 0, perHost: 8, obeyRobots: false, backoffMs: 10, timeoutMs: 5000 };

export interface CrawlResult {
  job: JobRow & { stats: CrawlJobStatsShape };
  logs: LogRecord[];
  rows: Record<string, unknown>[];
}

interface CrawlJobStatsShape {
  pages: { main: number; follow: number; detail: number; not_modified: number; failed: number; duplicate: number };
  items_read: number;
  pages_without_items: number;
  errors: Record<string, number>;
  items: { valid: number; saved: number; updated: number; unchanged: number; dropped: Record<string, number> };
}

export async function store(database: Database, bundle: BundleInput): Promise<void> {
  await importBundle(database, bundle, systemClock);
}

export async function crawlSource(
  database: Database,
  source: string,
  options: Record<string, unknown> = {},
  settings: Partial<FetchSettings> = {},
  run: { signal?: AbortSignal; conditional?: boolean } = {},
): Promise<CrawlResult> {
  const logs: LogRecord[] = [];
  const rows: Record<string, unknown>[] = [];
  const defs = await storedDefinitions(database, source);
  const job = await runCrawlJob(
    {
      database,
      fetcher: new Fetcher({ ...TEST_FETCH, ...settings }),
      clock: systemClock,
      env: { timeZone: "UTC", now: () => new Date() },
      log: { level: "DEBUG", limit: 1000, sink: (r) => logs.push(r) },
      conditionalRequests: run.conditional ?? true,
      onRow: (r) => rows.push(r),
    },
    defs,
    runOptionsSchema.parse(options),
    { scheduled: false, updateSchedule: false },
    run.signal ?? new AbortController().signal,
  );
  return { job: job as CrawlResult["job"], logs, rows };
}

/** Stored items' data, in id order. */
export async function storedItems(database: Database): Promise<Record<string, unknown>[]> {
  const r = await database.client.execute("SELECT data FROM items ORDER BY id");
  return r.rows.map((row) => JSON.parse(String(row.data)) as Record<string, unknown>);
}

/**
 * Products with a picture each, as the image tests crawl them: one list page at `url` whose `div.p` blocks hold
 * `h2` (the name, the id field) and `img/@src` (the picture, an IMAGE attr).
 */
export function picturesBundle(url: string, mandatoryImage: boolean): BundleInput {
  return {
    classes: [{ name: "P", attrs: [{ name: "base", attr_type: "B" }, { name: "name", attr_type: "S", id_field: true }, { name: "picture", attr_type: "I" }] }],
    scrapers: [
      {
        name: "p",
        class: "P",
        status: "MANUAL",
        page_types: [{ page_type: "MP" }],
        elems: [
          { attr: "base", x_path: "//div[@class='p']" },
          { attr: "name", x_path: "h2/text()" },
          { attr: "picture", x_path: "img/@src", mandatory: mandatoryImage },
        ],
      },
    ],
    sources: [{ name: "p", url, scraper: "p" }],
  };
}
