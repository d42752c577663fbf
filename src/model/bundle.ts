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
import { scrapedClassSchema, type ScrapedClass } from "./scraped-class.ts";
import { checkScraperAgainstClass, scraperSchema, type Scraper } from "./scraper.ts";
import { sourceSchema, type Source } from "./source.ts";

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
  const checker = new BundleChecker((name) => known.classAttrs(name));
  bundle.classes.forEach((cls, i) => checker.addClass(cls, i));
  bundle.scrapers.forEach((scraper, i) => checker.addScraper(scraper, i));
  bundle.sources.forEach((source, i) => checker.addSource(source, i));
  checker.resolveScrapers((name) => known.hasScraper(name));
  for (const issue of checker.issues()) report(issue.path, issue.message);
}

type Located = { path: PropertyKey[]; message: string };

/**
 * The checks of {@link checkBundle} one definition at a time — classes, then scrapers, then sources — so that a
 * bundle too big to hold can be checked as it is read: only names (and the classes' attrs) are kept. Sources whose
 * scraper is not in the bundle are resolved at the end, all at once ({@link resolveScrapers}).
 */
export class BundleChecker {
  private readonly attrsOf = new Map<string, readonly Attr[]>();
  private readonly names = { classes: new Map<string, number>(), scrapers: new Map<string, number>(), sources: new Map<string, number>() };
  private readonly duplicates = { classes: [] as Located[], scrapers: [] as Located[], sources: [] as Located[] };
  private readonly scraperIssues: Located[] = [];
  private readonly sourceIssues: Located[] = [];
  private readonly unresolved: { index: number; scraper: string }[] = [];

  /** `storedClassAttrs` gives the attrs of a class the bundle refers to without defining it, if it is stored. */
  constructor(private readonly storedClassAttrs: (name: string) => readonly Attr[] | undefined) {}

  addClass(cls: Pick<ScrapedClass, "name" | "attrs">, i: number): void {
    if (this.unique("classes", "class", cls.name, i)) this.attrsOf.set(cls.name, cls.attrs);
  }

  /** Whether the bundle defines a class of this name (so far). */
  definesClass(name: string): boolean {
    return this.names.classes.has(name);
  }

  addScraper(scraper: Scraper, i: number): void {
    this.unique("scrapers", "scraper", scraper.name, i);
    const attrs = this.attrsOf.get(scraper.class) ?? this.storedClassAttrs(scraper.class);
    const report: Report = (path, message) => this.scraperIssues.push({ path, message });
    if (!attrs) report(["scrapers", i, "class"], `class "${scraper.class}" does not exist`);
    else checkScraperAgainstClass(scraper, attrs, scraper.class, prefixed(report, ["scrapers", i]));
  }

  /** Whether the bundle defines a scraper of this name. */
  definesScraper(name: string): boolean {
    return this.names.scrapers.has(name);
  }

  addSource(source: Pick<Source, "name" | "scraper">, i: number): void {
    this.unique("sources", "source", source.name, i);
    if (!this.names.scrapers.has(source.scraper)) this.unresolved.push({ index: i, scraper: source.scraper });
  }

  /** The scrapers that sources refer to without the bundle defining them. */
  scrapersToResolve(): string[] {
    return [...new Set(this.unresolved.map((u) => u.scraper))];
  }

  /** Settles the sources' references to scrapers outside the bundle. */
  resolveScrapers(stored: (name: string) => boolean): void {
    for (const u of this.unresolved) {
      if (!stored(u.scraper)) this.sourceIssues.push({ path: ["sources", u.index, "scraper"], message: `scraper "${u.scraper}" does not exist` });
    }
    this.unresolved.length = 0;
  }

  /** Every problem found, in the order {@link checkBundle} has always reported them. */
  issues(): Located[] {
    const d = this.duplicates;
    return [...d.classes, ...d.scrapers, ...d.sources, ...this.scraperIssues, ...this.sourceIssues];
  }

  private unique(kind: "classes" | "scrapers" | "sources", what: string, name: string, i: number): boolean {
    const first = this.names[kind].get(name);
    if (first !== undefined) {
      this.duplicates[kind].push({ path: [kind, i, "name"], message: `duplicate ${what} name "${name}" (also ${kind}[${first}])` });
      return false;
    }
    this.names[kind].set(name, i);
    return true;
  }
}
