/**
 * @module
 * `import`: stores a definitions bundle, all or nothing (`db/store-definitions.ts`), after checking it against
 * what the database holds: every reference resolves, and a class whose attrs change still fits the stored
 * scrapers of that class that the bundle leaves alone.
 */
import type { Database } from "../db/connect.ts";
import { storeDefinitions, type ImportReport, type StoredForImport } from "../db/store-definitions.ts";
import { formatPath, ValidationError, type Issue } from "../errors.ts";
import type { Attr } from "../model/attr.ts";
import { assertBundleReferences, parseBundleShape, type Bundle } from "../model/bundle.ts";
import { checkScraperAgainstClass } from "../model/scraper.ts";
import type { Clock } from "../ports.ts";

export type { ImportCounts, ImportReport } from "../db/store-definitions.ts";

export async function importBundle(database: Database, input: unknown, clock: Clock): Promise<ImportReport> {
  const bundle = parseBundleShape(input);
  return storeDefinitions(database, bundle, clock.now(), (stored) => {
    assertBundleReferences(bundle, stored.references);
    assertStoredScrapersStillFit(bundle, stored);
  });
}

/** A class whose attrs change must still fit the stored scrapers of that class that the bundle leaves alone. */
function assertStoredScrapersStillFit(bundle: Bundle, stored: StoredForImport): void {
  const inBundle = new Set(bundle.scrapers.map((s) => s.name));
  const issues: Issue[] = [];
  for (const [i, cls] of bundle.classes.entries()) {
    for (const scraper of (stored.scrapersOfClass.get(cls.name) ?? []).filter((s) => !inBundle.has(s.name))) {
      checkScraperAgainstClass(scraper.definition, cls.attrs as Attr[], cls.name, (path, message) =>
        issues.push({
          path: formatPath(["classes", i, "attrs"]),
          message: `stored scraper "${scraper.name}" would no longer fit: ${formatPath(path)} ${message}`,
        }),
      );
    }
  }
  if (issues.length) throw new ValidationError(issues);
}
