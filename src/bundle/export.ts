/**
 * @module
 * `export`: the stored definitions as a bundle, in the order they were created, each in the key order of its
 * schema, so that export → import → export is byte-identical.
 */
import type { Database } from "../db/connect.ts";
import { allDefinitions } from "../db/definitions.ts";
import type { Bundle } from "../model/bundle.ts";

export async function exportBundle(database: Database): Promise<Bundle> {
  const stored = await allDefinitions(database);
  return {
    classes: stored.classes.map((c) => ({ name: c.name, ...c.definition })),
    scrapers: stored.scrapers.map(({ scraper: s, className }) => ({ name: s.name, class: className, status: s.status, ...s.definition })),
    sources: stored.sources.map(({ source: s, scraperName }) => ({ name: s.name, url: s.url, scraper: scraperName, active: s.active, urls: s.urls })),
  };
}

/** The bundle as written to a file: two-space JSON and a final newline. */
export function bundleJson(bundle: Bundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}
