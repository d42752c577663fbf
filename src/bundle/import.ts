/**
 * @module
 * `import`: stores a definitions bundle, all or nothing, in two steps.
 *
 * 1. Check, without holding the database's write lock: every definition on its own (read and parsed one at a
 *    time, so a bundle of any size takes the memory of one definition plus the names), then across the bundle and
 *    against what the database holds — names unique, references resolved, scrapers fit their class, and a class
 *    whose attrs change still fits the stored scrapers of that class the bundle leaves alone. Any problem: nothing
 *    is written.
 * 2. Write, in one short transaction (`db/store-definitions.ts`): the definitions are read again, a batch at a
 *    time, and upserted a batch per statement. What the check relied on in the database is checked again inside
 *    the transaction (another writer may have changed it meanwhile), and a bundle whose bytes changed between the
 *    two reads is refused (`source.ts`): either way the transaction is rolled back.
 *
 * Why not one long transaction, as before: parsing and checking 30,000 scrapers inside it held the write lock for
 * ~24 s, and every other writer (a running crawl) waited or failed. Why not several transactions (stage and swap):
 * the writes alone take about a second, so one transaction keeps all-or-nothing for free.
 */
import type { z } from "zod";
import type { Database } from "../db/connect.ts";
import { claimTarget, type DefinitionKind, type DefinitionTarget } from "../db/definition-target.ts";
import {
  forEachScraperOfClass,
  storeDefinitions,
  storedClass,
  storedScraperNames,
  scraperWrite,
  sourceWrite,
  type DefinitionsReader,
  type ImportReport,
  type StoredClass,
} from "../db/store-definitions.ts";
import { ConflictError, formatPath, ValidationError, type Issue } from "../errors.ts";
import type { Attr } from "../model/attr.ts";
import { BundleChecker } from "../model/bundle.ts";
import { requiredMessage, zodIssues } from "../model/issues.ts";
import { scrapedClassSchema, type ScrapedClass } from "../model/scraped-class.ts";
import { checkScraperAgainstClass, scraperFieldsSchema, scraperSchema } from "../model/scraper.ts";
import { sourceSchema } from "../model/source.ts";
import type { Clock } from "../ports.ts";
import { BundleChangedError, bundleValue, type BundleKind, type BundleSource } from "./source.ts";

export type { ImportCounts, ImportReport } from "../db/store-definitions.ts";
export { bundleBytes, bundleValue, type BundleSource } from "./source.ts";

/** Definitions written per batch. */
const BATCH = 500;
/** Problems listed at most; a bundle with more says how many more. */
const MAX_ISSUES = 100;

/** Stores a bundle already in memory (an API body, `crawl --bundle`). */
export function importBundle(database: Database, input: unknown, clock: Clock): Promise<ImportReport> {
  return importDefinitions(database, bundleValue(input), clock);
}

export interface ImportOptions {
  /** Called after every few hundred definitions read, and awaited: the binary collects its garbage then. */
  onBatch?(): void | Promise<void>;
  /** An API write of one definition: checked (and renamed) in the write transaction before anything is written. */
  target?: DefinitionTarget;
}

/** Stores the bundle `source` reads, all or nothing. Throws ValidationError listing the problems with their paths. */
export async function importDefinitions(database: Database, input: BundleSource, clock: Clock, options: ImportOptions = {}): Promise<ImportReport> {
  const source = options.onBatch ? counted(input, options.onBatch) : input;
  const checked = await checkDefinitions(database.client, source);
  return storeDefinitions(database, clock.now(), async (writer) => {
    if (options.target) await claimTarget(writer.tx, options.target);
    await assertUsedClassesUnchanged(writer.tx, checked.usedClasses);
    throwIfAny(await storedScrapersThatNoLongerFit(writer.tx, checked.classes, checked.checker));
    await writer.classes(checked.classes);
    await inBatches(source, "scrapers", scraperFieldsSchema, scraperWrite, (batch) => writer.scrapers(batch));
    await inBatches(source, "sources", sourceSchema, sourceWrite, (batch) => writer.sources(batch));
  });
}

/**
 * One definition written by the API: an import of a bundle holding only it, with the import's checks, all or
 * nothing. A create (`id` absent) refuses a name in use; a replace (`id`) may rename. Problems are reported at
 * paths inside the definition (`elems[3].x_path`), as the request body has them.
 */
export async function importDefinition(database: Database, kind: DefinitionKind, definition: unknown, clock: Clock, id?: number): Promise<void> {
  const prefix = `${kind}[0]`;
  const name = typeof definition === "object" && definition !== null && "name" in definition ? definition.name : undefined;
  try {
    // A body without a usable name fails the check (with its path) before the target is looked at.
    const target = { kind, name: typeof name === "string" ? name : "", ...(id !== undefined ? { id } : {}) };
    await importDefinitions(database, bundleValue({ [kind]: [definition] }), clock, { target });
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

interface Checked {
  classes: ScrapedClass[];
  checker: BundleChecker;
  /** The stored classes the bundle's scrapers use without defining them, as they were when checked. */
  usedClasses: Map<string, StoredClass | undefined>;
}

/** Step 1: everything that can be wrong with the bundle, without writing (nor locking) anything. */
async function checkDefinitions(db: DefinitionsReader, source: BundleSource): Promise<Checked> {
  const shape = new IssueList();
  const usedClasses = new Map<string, StoredClass | undefined>();
  const checker = new BundleChecker((name) => usedClasses.get(name)?.attrs);
  const classes: ScrapedClass[] = [];
  await source.each("classes", (raw, i) => {
    const parsed = scrapedClassSchema.safeParse(raw, { error: requiredMessage });
    if (!parsed.success) return shape.addZod(parsed.error.issues, ["classes", i]);
    classes.push(parsed.data);
    checker.addClass(parsed.data, i);
  });
  await source.each("scrapers", async (raw, i) => {
    const parsed = scraperSchema.safeParse(raw, { error: requiredMessage });
    if (!parsed.success) return shape.addZod(parsed.error.issues, ["scrapers", i]);
    const className = parsed.data.class;
    if (!checker.definesClass(className) && !usedClasses.has(className)) usedClasses.set(className, await storedClass(db, className));
    checker.addScraper(parsed.data, i);
  });
  await source.each("sources", (raw, i) => {
    const parsed = sourceSchema.safeParse(raw, { error: requiredMessage });
    if (!parsed.success) return shape.addZod(parsed.error.issues, ["sources", i]);
    checker.addSource(parsed.data, i);
  });
  shape.throwIfAny();
  const stored = await storedScraperNames(db, checker.scrapersToResolve());
  checker.resolveScrapers((name) => stored.has(name));
  const references = new IssueList();
  for (const issue of checker.issues()) references.add({ path: formatPath(issue.path), message: issue.message });
  references.throwIfAny();
  throwIfAny(await storedScrapersThatNoLongerFit(db, classes, checker));
  return { classes, checker, usedClasses };
}

/**
 * A class whose attrs change must still fit the stored scrapers of that class that the bundle leaves alone. Read a
 * page at a time: a class may have many scrapers.
 */
async function storedScrapersThatNoLongerFit(db: DefinitionsReader, classes: readonly ScrapedClass[], checker: BundleChecker): Promise<IssueList> {
  const issues = new IssueList();
  for (const [i, cls] of classes.entries()) {
    const stored = await storedClass(db, cls.name);
    if (!stored || JSON.stringify(stored.attrs) === JSON.stringify(cls.attrs)) continue;
    await forEachScraperOfClass(db, cls.name, (scraper) => {
      if (checker.definesScraper(scraper.name)) return;
      checkScraperAgainstClass(scraper.definition, cls.attrs as Attr[], cls.name, (path, message) =>
        issues.add({ path: formatPath(["classes", i, "attrs"]), message: `stored scraper "${scraper.name}" would no longer fit: ${formatPath(path)} ${message}` }),
      );
    });
  }
  return issues;
}

/** The stored classes the check relied on must be as they were: another writer may have changed them since. */
async function assertUsedClassesUnchanged(db: DefinitionsReader, used: ReadonlyMap<string, StoredClass | undefined>): Promise<void> {
  for (const [name, seen] of used) {
    if (!seen) continue;
    const now = await storedClass(db, name);
    if (now?.json !== seen.json) throw new ConflictError(`class "${name}" was changed by another writer while the bundle was being imported; nothing was stored, run the import again`);
  }
}

/** `source`, calling `onBatch` after every {@link BATCH} definitions it hands out. */
function counted(source: BundleSource, onBatch: () => void | Promise<void>): BundleSource {
  return {
    each: (kind, visit) =>
      source.each(kind, async (raw, index) => {
        await visit(raw, index);
        if ((index + 1) % BATCH === 0) await onBatch();
      }),
  };
}

/**
 * Step 2's reading: the definitions of `kind` again, with their defaults, a batch at a time — each turned into
 * what is written (its JSON text) at once, so that the parsed objects are short-lived garbage.
 */
async function inBatches<T, W>(source: BundleSource, kind: BundleKind, schema: z.ZodType<T>, toWrite: (index: number, value: T) => W, write: (batch: W[]) => Promise<void>): Promise<void> {
  let batch: W[] = [];
  await source.each(kind, async (raw, index) => {
    const parsed = schema.safeParse(raw);
    // It passed the check before: only different bytes can fail now.
    if (!parsed.success) throw new BundleChangedError();
    batch.push(toWrite(index, parsed.data));
    if (batch.length >= BATCH) {
      await write(batch);
      batch = [];
    }
  });
  await write(batch);
}

/** Problems in bundle order, the first {@link MAX_ISSUES} of them kept (a broken bundle of 30,000 would list them all). */
class IssueList {
  readonly list: Issue[] = [];
  private more = 0;

  add(issue: Issue): void {
    if (this.list.length < MAX_ISSUES) this.list.push(issue);
    else this.more++;
  }

  addZod(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): void {
    for (const issue of zodIssues(issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }) as z.core.$ZodIssue))) this.add(issue);
  }

  throwIfAny(): void {
    throwIfAny(this);
  }

  get size(): number {
    return this.list.length + this.more;
  }

  all(): Issue[] {
    return this.more ? [...this.list, { path: "", message: `… and ${this.more} more problem${this.more === 1 ? "" : "s"}` }] : this.list;
  }
}

function throwIfAny(issues: IssueList): void {
  if (issues.size) throw new ValidationError(issues.all());
}
