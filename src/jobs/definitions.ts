/**
 * @module
 * The definitions a crawl runs: a stored source with its scraper and class, or — for a dry run from a bundle
 * file — a bundle's own definitions, not stored (names the bundle lacks are taken from the database).
 */
import type { Database } from "../db/connect.ts";
import { classBodyByName, loadSource, scraperByName, storedReferences } from "../db/definitions.ts";
import { ConflictError } from "../errors.ts";
import { assertBundleReferences, parseBundleShape } from "../model/bundle.ts";
import type { ScraperStatus } from "../model/enums.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";

export interface CrawlDefinitions {
  classId: number | null;
  classBody: ScrapedClassBody;
  scraperId: number | null;
  scraperName: string;
  scraperStatus: ScraperStatus;
  scraperBody: ScraperBody;
  sourceId: number | null;
  sourceName: string;
  url: string;
  urls: string[];
}

/** Runs by hand need ACTIVE or MANUAL; the scheduler runs ACTIVE only. */
export function refuseUnrunnable(definitions: Pick<CrawlDefinitions, "scraperName" | "scraperStatus">, scheduled: boolean): void {
  const { scraperName, scraperStatus } = definitions;
  if (scraperStatus === "PAUSED" || scraperStatus === "INACTIVE" || (scheduled && scraperStatus === "MANUAL")) {
    throw new ConflictError(`scraper "${scraperName}" is ${scraperStatus}: it does not run${scraperStatus === "MANUAL" ? " on schedule" : ""} (set its status to ACTIVE${scheduled ? "" : " or MANUAL"} to run it)`);
  }
}

/** A stored source (id or name) with its scraper and class. */
export async function storedDefinitions(database: Database, ref: string | number): Promise<CrawlDefinitions> {
  const { source, scraper, cls } = await loadSource(database, ref);
  return {
    classId: cls.id,
    classBody: cls.definition,
    scraperId: scraper.id,
    scraperName: scraper.name,
    scraperStatus: scraper.status,
    scraperBody: scraper.definition,
    sourceId: source.id,
    sourceName: source.name,
    url: source.url,
    urls: source.urls,
  };
}

/** The bundle's source `name` with its definitions, validated but not stored; undefined when the bundle has no such source. */
export async function bundleDefinitions(database: Database, input: unknown, name: string): Promise<CrawlDefinitions | undefined> {
  const bundle = parseBundleShape(input);
  assertBundleReferences(bundle, await storedReferences(database, bundle));
  const source = bundle.sources.find((s) => s.name === name);
  if (!source) return undefined;
  const inBundle = bundle.scrapers.find((s) => s.name === source.scraper);
  const scraper = inBundle
    ? { name: inBundle.name, className: inBundle.class, status: inBundle.status, body: omit(inBundle, ["name", "class", "status"]) }
    : await scraperByName(database, source.scraper);
  const bundledClass = bundle.classes.find((c) => c.name === scraper.className);
  const classBody = bundledClass ? omit(bundledClass, ["name"]) : await classBodyByName(database, scraper.className);
  return {
    classId: null,
    classBody,
    scraperId: null,
    scraperName: scraper.name,
    scraperStatus: scraper.status,
    scraperBody: scraper.body,
    sourceId: null,
    sourceName: source.name,
    url: source.url,
    urls: source.urls,
  };
}

function omit<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Omit<T, K> {
  const out = { ...value };
  for (const k of keys) delete out[k];
  return out;
}
