/**
 * @module
 * The data-version counters (`data_versions`, bumped by triggers on every write): what a list's ETag is made of.
 * Where the database has a change mark (`Database.changeMark`, the binary's local file), the counters read last
 * are kept with the mark seen before reading them, and served again while the mark has not moved: no commit by
 * anyone since then, so they are still the database's. Any commit moves the mark, and the next call reads again.
 */
import type { Database } from "./connect.ts";
import { data_versions } from "./schema.ts";

/** The kinds of data with a counter, each bumped by writes to its tables (drizzle/0003_item_count_triggers.sql). */
export const DATA_KINDS = ["items", "definitions", "runtimes", "jobs", "logs"] as const;
export type DataKind = (typeof DATA_KINDS)[number];

const known = new WeakMap<Database, { mark: number; versions: ReadonlyMap<string, number> }>();

/** The counters of these kinds, in the order asked: one small read, or none while nothing was committed. */
export async function dataVersions(database: Database, kinds: readonly DataKind[]): Promise<number[]> {
  // The mark is taken before the read: a commit landing between the two leaves a newer read under an older mark,
  // which the next call's mark no longer matches (a read again, never a stale answer).
  const mark = database.changeMark?.();
  let versions = mark === undefined ? undefined : known.get(database);
  if (versions === undefined || versions.mark !== mark) {
    const rows = await database.db.select().from(data_versions);
    versions = { mark: mark ?? Number.NaN, versions: new Map(rows.map((r) => [r.name, r.version])) };
    if (mark !== undefined) known.set(database, versions);
  }
  const read = versions.versions;
  return kinds.map((kind) => read.get(kind) ?? 0);
}
