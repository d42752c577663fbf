/**
 * @module
 * The definitions bundle (INTERFACE.md): classes, scrapers and sources referring to each other by name. It is the
 * format of `import`/`export`, of `crawl --bundle`, and the source of the JSON Schema.
 */
import { z } from "zod";
import { formatPath, ValidationError, type Issue } from "../errors.ts";
import { requiredMessage, zodIssues } from "./issues.ts";
import type { Attr } from "./attr.ts";
import { prefixed, type Report } from "./report.ts";
import { scrapedClassSchema } from "./scraped-class.ts";
import { checkScraperAgainstClass, scraperSchema } from "./scraper.ts";
import { sourceSchema } from "./source.ts";

export const bundleSchema = z.strictObject({
  classes: z.array(scrapedClassSchema).default([]),
  scrapers: z.array(scraperSchema).default([]),
  sources: z.array(sourceSchema).default([]),
});

export type Bundle = z.infer<typeof bundleSchema>;
export type BundleInput = z.input<typeof bundleSchema>;

/** What a bundle may refer to besides its own definitions: what the database already holds. */
export interface KnownDefinitions {
  classAttrs(name: string): readonly Attr[] | undefined;
  hasScraper(name: string): boolean;
}

export const NOTHING_KNOWN: KnownDefinitions = { classAttrs: () => undefined, hasScraper: () => false };

/** Parses and checks a bundle; throws ValidationError listing every problem with its path. */
export function parseBundle(input: unknown, known: KnownDefinitions = NOTHING_KNOWN): Bundle {
  const bundle = parseBundleShape(input);
  assertBundleReferences(bundle, known);
  return bundle;
}

/** Each definition on its own; references between them are checked by `assertBundleReferences`. */
export function parseBundleShape(input: unknown): Bundle {
  const parsed = bundleSchema.safeParse(input, { error: requiredMessage });
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error.issues));
  return parsed.data;
}

export function assertBundleReferences(bundle: Bundle, known: KnownDefinitions): void {
  const issues: Issue[] = [];
  checkBundle(bundle, known, (path, message) => issues.push({ path: formatPath(path), message }));
  if (issues.length) throw new ValidationError(issues);
}

/** Names are unique per kind and every reference resolves, in the bundle or among the known definitions. */
export function checkBundle(bundle: Bundle, known: KnownDefinitions, report: Report): void {
  const classAttrs = new Map<string, readonly Attr[]>();
  uniqueNames(bundle.classes, "classes", "class", report);
  uniqueNames(bundle.scrapers, "scrapers", "scraper", report);
  uniqueNames(bundle.sources, "sources", "source", report);
  for (const cls of bundle.classes) if (!classAttrs.has(cls.name)) classAttrs.set(cls.name, cls.attrs);

  bundle.scrapers.forEach((scraper, i) => {
    const attrs = classAttrs.get(scraper.class) ?? known.classAttrs(scraper.class);
    if (!attrs) report(["scrapers", i, "class"], `class "${scraper.class}" does not exist`);
    else checkScraperAgainstClass(scraper, attrs, scraper.class, prefixed(report, ["scrapers", i]));
  });
  const scraperNames = new Set(bundle.scrapers.map((s) => s.name));
  bundle.sources.forEach((source, i) => {
    if (!scraperNames.has(source.scraper) && !known.hasScraper(source.scraper)) {
      report(["sources", i, "scraper"], `scraper "${source.scraper}" does not exist`);
    }
  });
}

function uniqueNames(defs: readonly { name: string }[], key: string, what: string, report: Report): void {
  const seen = new Map<string, number>();
  defs.forEach((def, i) => {
    const first = seen.get(def.name);
    if (first !== undefined) report([key, i, "name"], `duplicate ${what} name "${def.name}" (also ${key}[${first}])`);
    else seen.set(def.name, i);
  });
}
