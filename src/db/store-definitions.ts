/**
 * @module
 * Storing definitions, all or nothing, in one short write transaction. The caller checks everything first,
 * without holding the database's write lock (`bundle/import.ts`); here the checked definitions are written in
 * batches, a few statements per few hundred definitions, so that the lock is held for the writes only and never
 * while definitions are checked one by one. Plain SQL on the client's transaction, and a batch's rows travel as one
 * JSON parameter read with `json_each`: drizzle's builder, or a statement of 500 rows of placeholders (compiled
 * anew each time, ~0.5 MB of native memory each until a finalizer frees it), cost more than the writes themselves,
 * and every millisecond here is a millisecond other writers wait.
 *
 * Definitions are upserted by name: a named definition's children are replaced as a whole, ids of surviving names
 * are kept, items and runtimes are never touched (a new source gets its runtime). Unchanged definitions are not
 * written at all, so storing the same bundle twice changes nothing.
 */
import type { InStatement, Row, Transaction } from "@libsql/client/web";
import { formatPath, ValidationError } from "../errors.ts";
import type { ScrapedClass } from "../model/scraped-class.ts";
import type { Scraper, ScraperBody } from "../model/scraper.ts";
import type { Source } from "../model/source.ts";
import type { Database } from "./connect.ts";
import { createSourceRuntimesStatement, refreshRunnableStatements } from "./runtimes.ts";

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportReport {
  classes: ImportCounts;
  scrapers: ImportCounts;
  sources: ImportCounts;
}

/** Where stored definitions are read: the database's client, or the write transaction. */
export type DefinitionsReader = Pick<Transaction, "execute">;

/** A scraper as written: its columns, its definition's JSON, and its place in the bundle (for error paths). */
export interface ScraperWrite {
  index: number;
  name: string;
  className: string;
  status: Scraper["status"];
  json: string;
  hasCheckers: boolean;
}

/** A scraper's columns and definition as written. */
export function scraperWrite(index: number, scraper: Scraper): ScraperWrite {
  const { name, class: className, status, ...definition } = scraper;
  return { index, name, className, status, json: JSON.stringify(definition), hasCheckers: definition.checkers.length > 0 };
}

/** A source as written, with its place in the bundle. */
export interface SourceWrite {
  index: number;
  name: string;
  scraper: string;
  url: string;
  urls: string;
  active: boolean;
}

export function sourceWrite(index: number, source: Source): SourceWrite {
  return { index, name: source.name, scraper: source.scraper, url: source.url, urls: JSON.stringify(source.urls), active: source.active };
}

/** A class as stored: its definition as JSON text, and its attrs. */
export interface StoredClass {
  json: string;
  attrs: ScrapedClass["attrs"];
}

const QUERY_BATCH = 500;

async function rows(db: DefinitionsReader, stmt: InStatement): Promise<Row[]> {
  return (await db.execute(stmt)).rows;
}

/** The stored class of this name, if any. */
export async function storedClass(db: DefinitionsReader, name: string): Promise<StoredClass | undefined> {
  const [row] = await rows(db, { sql: "SELECT definition FROM classes WHERE name = ?", args: [name] });
  if (!row) return undefined;
  const json = String(row.definition);
  return { json, attrs: (JSON.parse(json) as Omit<ScrapedClass, "name">).attrs };
}

/** Which of these scraper names are stored. */
export async function storedScraperNames(db: DefinitionsReader, names: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < names.length; i += QUERY_BATCH) {
    const slice = names.slice(i, i + QUERY_BATCH);
    for (const row of await rows(db, { sql: "SELECT name FROM scrapers WHERE name IN (SELECT value FROM json_each(?))", args: [JSON.stringify(slice)] })) found.add(String(row.name));
  }
  return found;
}

/** The stored scrapers of a class, a page at a time (however many there are). */
export async function forEachScraperOfClass(db: DefinitionsReader, className: string, visit: (scraper: { name: string; definition: ScraperBody }) => void): Promise<void> {
  for (let after = 0; ; ) {
    const page = await rows(db, {
      sql: "SELECT s.id, s.name, s.definition FROM scrapers s JOIN classes c ON c.id = s.class_id WHERE c.name = ? AND s.id > ? ORDER BY s.id LIMIT ?",
      args: [className, after, QUERY_BATCH],
    });
    for (const row of page) visit({ name: String(row.name), definition: JSON.parse(String(row.definition)) as ScraperBody });
    if (page.length < QUERY_BATCH) return;
    after = Number(page.at(-1)!.id);
  }
}

/** Runs `write` in one write transaction and returns what it did; whatever `write` throws rolls everything back. */
export async function storeDefinitions(database: Database, now: Date, write: (writer: DefinitionsWriter) => Promise<void>): Promise<ImportReport> {
  const tx = await database.client.transaction("write");
  try {
    const writer = new DefinitionsWriter(tx, now);
    await write(writer);
    const report = await writer.finish();
    await tx.commit();
    return report;
  } finally {
    tx.close();
  }
}

function emptyCounts(): ImportCounts {
  return { created: 0, updated: 0, unchanged: 0 };
}

/** Writes definitions inside the import's transaction, a batch at a time. */
export class DefinitionsWriter {
  private readonly counts: ImportReport = { classes: emptyCounts(), scrapers: emptyCounts(), sources: emptyCounts() };
  private readonly classIds = new Map<string, number>();
  /** Scrapers whose sources' and items' runtimes may have changed `runnable`. */
  private readonly runnableChanged = new Set<number>();
  private readonly at: number;

  constructor(
    /** The transaction, to read what is stored as the writes see it. */
    readonly tx: Transaction,
    now: Date,
  ) {
    this.at = now.getTime();
  }

  /** The classes of the bundle (a bundle holds few): one statement each. */
  async classes(list: readonly ScrapedClass[]): Promise<void> {
    const counts = this.counts.classes;
    for (const { name, ...definition } of list) {
      const json = JSON.stringify(definition);
      const [existing] = await rows(this.tx, { sql: "SELECT id, definition FROM classes WHERE name = ?", args: [name] });
      if (!existing) {
        const [row] = await rows(this.tx, { sql: "INSERT INTO classes (name, definition, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id", args: [name, json, this.at, this.at] });
        this.classIds.set(name, Number(row!.id));
        counts.created++;
        continue;
      }
      this.classIds.set(name, Number(existing.id));
      if (String(existing.definition) === json) counts.unchanged++;
      else {
        await this.tx.execute({ sql: "UPDATE classes SET definition = ?, updated_at = ? WHERE id = ?", args: [json, this.at, Number(existing.id)] });
        counts.updated++;
      }
    }
  }

  /** A batch of scrapers: one read, at most one insert and one update. */
  async scrapers(batch: readonly ScraperWrite[]): Promise<void> {
    if (batch.length === 0) return;
    const counts = this.counts.scrapers;
    const names = batch.map((b) => b.name);
    const existing = new Map(
      (
        await rows(this.tx, {
          sql: "SELECT id, name, class_id, status, definition, json_array_length(definition, '$.checkers') AS checkers FROM scrapers WHERE name IN (SELECT value FROM json_each(?))",
          args: [JSON.stringify(names)],
        })
      ).map((row) => [String(row.name), row]),
    );
    const inserts: (string | number)[][] = [];
    const updates: (string | number)[][] = [];
    for (const { index, name, className, status, json, hasCheckers } of batch) {
      const classId = await this.classId(className, ["scrapers", index, "class"]);
      const row = existing.get(name);
      if (!row) {
        inserts.push([name, classId, status, json]);
        counts.created++;
      } else if (Number(row.class_id) === classId && row.status === status && String(row.definition) === json) {
        counts.unchanged++;
      } else {
        updates.push([Number(row.id), classId, status, json]);
        counts.updated++;
        if (row.status !== status || Number(row.checkers) > 0 !== hasCheckers) this.runnableChanged.add(Number(row.id));
      }
    }
    const statements: InStatement[] = [];
    if (inserts.length) {
      statements.push({
        sql: `INSERT INTO scrapers (name, class_id, status, definition, created_at, updated_at)
          SELECT ${columns(4)}, ?, ? FROM json_each(?) ORDER BY key`,
        args: [this.at, this.at, JSON.stringify(inserts)],
      });
    }
    if (updates.length) {
      statements.push({
        sql: `UPDATE scrapers SET class_id = v.c1, status = v.c2, definition = v.c3, updated_at = ?
          FROM (SELECT ${columns(4, "c")} FROM json_each(?)) AS v WHERE scrapers.id = v.c0`,
        args: [this.at, JSON.stringify(updates)],
      });
    }
    if (statements.length) await this.tx.batch(statements);
  }

  /** A batch of sources: its scrapers' ids, one read, at most one insert (and the new runtimes) and one update. */
  async sources(batch: readonly SourceWrite[]): Promise<void> {
    if (batch.length === 0) return;
    const counts = this.counts.sources;
    const scraperNames = [...new Set(batch.map((b) => b.scraper))];
    const scraperIds = new Map(
      (await rows(this.tx, { sql: "SELECT id, name FROM scrapers WHERE name IN (SELECT value FROM json_each(?))", args: [JSON.stringify(scraperNames)] })).map((r) => [
        String(r.name),
        Number(r.id),
      ]),
    );
    const names = batch.map((b) => b.name);
    const existing = new Map(
      (await rows(this.tx, { sql: "SELECT id, name, scraper_id, url, urls, active FROM sources WHERE name IN (SELECT value FROM json_each(?))", args: [JSON.stringify(names)] })).map((row) => [
        String(row.name),
        row,
      ]),
    );
    const inserts: (string | number)[][] = [];
    const updates: (string | number)[][] = [];
    for (const { index, name, scraper, url, urls, active } of batch) {
      const scraperId = scraperIds.get(scraper);
      // Checked before the transaction; gone only if another writer removed it meanwhile.
      if (scraperId === undefined) throw new ValidationError([{ path: `sources[${index}].scraper`, message: `scraper "${scraper}" does not exist` }]);
      const row = existing.get(name);
      if (!row) {
        inserts.push([name, scraperId, url, urls, active ? 1 : 0]);
        counts.created++;
      } else if (Number(row.scraper_id) === scraperId && row.url === url && Boolean(row.active) === active && String(row.urls) === urls) {
        counts.unchanged++;
      } else {
        updates.push([Number(row.id), scraperId, url, urls, active ? 1 : 0]);
        counts.updated++;
        if (Boolean(row.active) !== active || Number(row.scraper_id) !== scraperId) this.runnableChanged.add(scraperId);
      }
    }
    if (inserts.length) {
      const created = await rows(this.tx, {
        sql: `INSERT INTO sources (name, scraper_id, url, urls, active, created_at, updated_at)
          SELECT ${columns(5)}, ?, ? FROM json_each(?) ORDER BY key RETURNING id`,
        args: [this.at, this.at, JSON.stringify(inserts)],
      });
      await this.tx.execute(createSourceRuntimesStatement(created.map((r) => Number(r.id)), new Date(this.at)));
    }
    if (updates.length) {
      await this.tx.execute({
        sql: `UPDATE sources SET scraper_id = v.c1, url = v.c2, urls = v.c3, active = v.c4, updated_at = ?
          FROM (SELECT ${columns(5, "c")} FROM json_each(?)) AS v WHERE sources.id = v.c0`,
        args: [this.at, JSON.stringify(updates)],
      });
    }
  }

  /** Brings the runtimes' `runnable` in step with what changed, and tells what was done. */
  async finish(): Promise<ImportReport> {
    const ids = [...this.runnableChanged];
    for (let i = 0; i < ids.length; i += QUERY_BATCH) {
      const statements = refreshRunnableStatements(ids.slice(i, i + QUERY_BATCH));
      if (statements.length) await this.tx.batch(statements);
    }
    return this.counts;
  }

  private async classId(name: string, path: PropertyKey[]): Promise<number> {
    let id = this.classIds.get(name);
    if (id === undefined) {
      const [row] = await rows(this.tx, { sql: "SELECT id FROM classes WHERE name = ?", args: [name] });
      if (!row) throw new ValidationError([{ path: formatPath(path), message: `class "${name}" does not exist` }]);
      this.classIds.set(name, (id = Number(row.id)));
    }
    return id;
  }
}

/** The `width` values of each `json_each` row (a JSON array), named `c0`, `c1`… when `alias` is given. */
function columns(width: number, alias?: string): string {
  return Array.from({ length: width }, (_, i) => `json_extract(value, '$[${i}]')${alias ? ` AS ${alias}${i}` : ""}`).join(", ");
}
