/**
 * @module
 * `import`: stores a definitions bundle, all or nothing (`db/store-definitions.ts`), after checking it against
 * what the database holds: every reference resolves, and a class whose attrs change still fits the stored
 * scrapers of that class that the bundle leaves alone.
 */
import type { Database } from "../db/connect.ts";
import type { DefinitionKind } from "../db/definition-target.ts";
import { storeDefinitions, type ImportReport, type StoredForImport } from "../db/store-definitions.ts";
import { formatPath, ValidationError, type Issue } from "../errors.ts";
import type { Attr } from "../model/attr.ts";
import { assertBundleReferences, parseBundleShape, type Bundle } from "../model/bundle.ts";
import { checkScraperAgainstClass } from "../model/scraper.ts";
import type { Clock } from "../ports.ts";

export type { ImportCounts, ImportReport } from "../db/store-definitions.ts";

export async function importBundle(database: Database, input: unknown, clock: Clock): Promise<ImportReport> {
  return storeBundle(database, parseBundleShape(input), clock);
}

function storeBundle(database: Database, bundle: Bundle, clock: Clock, target?: Parameters<typeof storeDefinitions>[4]): Promise<ImportReport> {
  return storeDefinitions(
    database,
    bundle,
    clock.now(),
    (stored) => {
      assertBundleReferences(bundle, stored.references);
      assertStoredScrapersStillFit(bundle, stored);
    },
    target,
  );
}

/**
 * One definition written by the API: an import of a bundle holding only it, with the import's checks, all or
 * nothing. A create (`id` absent) refuses a name in use; a replace (`id`) may rename. Problems are reported at
 * paths inside the definition (`elems[3].x_path`), as the request body has them.
 */
export async function importDefinition(database: Database, kind: DefinitionKind, definition: unknown, clock: Clock, id?: number): Promise<void> {
  const prefix = `${kind}[0]`;
  try {
    const bundle = parseBundleShape({ [kind]: [definition] });
    const name = bundle[kind][0]!.name;
    await storeBundle(database, bundle, clock, { kind, name, ...(id !== undefined ? { id } : {}) });
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    throw new ValidationError(e.issues.map((issue) => ({ ...issue, path: withoutPrefix(issue.path, prefix) })));
  }
}

function withoutPrefix(path: string, prefix: string): string {
  if (path === prefix) return "";
  if (path.startsWith(`${prefix}.`)) return path.slice(prefix.length + 1);
  if (path.startsWith(`${prefix}[`)) return path.slice(prefix.length);
  return path;
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
