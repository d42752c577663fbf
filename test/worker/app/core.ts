/**
 * @module
 * Everything the test Worker asks of the core's crawl, job, bundle and image code, in one place: when those APIs
 * change (the crawl becomes a page step and a driver), this file is the one to follow them. The rest of the test
 * Worker only routes requests and wires platform parts (R2, photon's workerd build, libSQL over HTTP).
 */
import { importBundle } from "../../../src/bundle/import.ts";
import { DEFAULT_FETCH_SETTINGS, Fetcher, type FetchSettings } from "../../../src/fetch/fetcher.ts";
import { parseImageSettings } from "../../../src/images/settings.ts";
import { storeImage, type StoredImage } from "../../../src/images/store-image.ts";
import { renderInline, type Photon } from "../../../src/images/thumbnail.ts";
import { runCrawlJob } from "../../../src/jobs/crawl-job.ts";
import { storedDefinitions } from "../../../src/jobs/definitions.ts";
import type { LogRecord } from "../../../src/jobs/log.ts";
import { runOptionsSchema } from "../../../src/model/run-options.ts";
import type { Database } from "../../../src/db/connect.ts";
import { type BlobStore, systemClock } from "../../../src/ports.ts";

/** As test/support/crawl.ts: fast and impolite, the test site is ours. */
const TEST_FETCH: FetchSettings = { ...DEFAULT_FETCH_SETTINGS, delayMs: 0, perHost: 8, obeyRobots: false, backoffMs: 10, timeoutMs: 5000 };

export interface CrawlRequest {
  /** A bundle to import first (as `dscraper import`). */
  bundle: unknown;
  /** The stored source to crawl, by name. */
  source: string;
  /** Run options, as the CLI's flags (`max_items_read`, `num_pages_follow`…). */
  options?: Record<string, unknown>;
}

export interface CrawlOutcome {
  job: { status: string; error: string | null; stats: unknown };
  /** The stored items' data, in id order, as test/support/crawl.ts's `storedItems` reads them. */
  items: Record<string, unknown>[];
  logs: string[];
}

/** Imports the bundle, runs a crawl job of the source as `dscraper crawl` does, and reads back the stored items. */
export async function crawlSource(database: Database, request: CrawlRequest): Promise<CrawlOutcome> {
  await importBundle(database, request.bundle, systemClock);
  const logs: LogRecord[] = [];
  const job = await runCrawlJob(
    {
      database,
      fetcher: new Fetcher(TEST_FETCH),
      clock: systemClock,
      env: { timeZone: "UTC", now: () => new Date() },
      log: { level: "DEBUG", limit: 1000, sink: (r) => logs.push(r) },
      conditionalRequests: true,
    },
    await storedDefinitions(database, request.source),
    runOptionsSchema.parse(request.options ?? {}),
    { scheduled: false, updateSchedule: false },
    new AbortController().signal,
  );
  const rows = await database.client.execute({ sql: "SELECT data FROM items WHERE source_id = ? ORDER BY id", args: [job.source_id] });
  return {
    job: { status: job.status, error: job.error, stats: job.stats },
    items: rows.rows.map((row) => JSON.parse(String(row.data)) as Record<string, unknown>),
    logs: logs.map((r) => `${r.level} ${r.msg}`),
  };
}

/** A write and a read through the Database port: a bundle imported, then its source loaded with scraper and class. */
export async function writeAndRead(database: Database, bundle: unknown, source: string): Promise<{ imported: unknown; loaded: { source: string; scraper: string; url: string } }> {
  const imported = await importBundle(database, bundle, systemClock);
  const defs = await storedDefinitions(database, source);
  return { imported, loaded: { source: defs.sourceName, scraper: defs.scraperName, url: defs.url } };
}

/** Downloads an image through the polite fetcher and stores it (converted, with thumbnails) as a crawl would. */
export async function downloadImage(url: string, settings: unknown, store: BlobStore, photon: Photon): Promise<StoredImage> {
  const response = await new Fetcher(TEST_FETCH).fetch({ method: "GET", url });
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  return storeImage(response.body, url, parseImageSettings(settings), store, renderInline(photon));
}
