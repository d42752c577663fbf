/**
 * @module
 * The data-version counters (`data_versions`, bumped by triggers on every write): what a list's ETag is made of.
 */
import { inArray } from "drizzle-orm";
import type { Database } from "./connect.ts";
import { data_versions } from "./schema.ts";

/** The kinds of data with a counter, each bumped by writes to its tables (drizzle/0003_item_count_triggers.sql). */
export const DATA_KINDS = ["items", "definitions", "runtimes", "jobs", "logs"] as const;
export type DataKind = (typeof DATA_KINDS)[number];

/** The counters of these kinds, in the order asked, in one read. */
export async function dataVersions(database: Database, kinds: readonly DataKind[]): Promise<number[]> {
  const rows = await database.db
    .select()
    .from(data_versions)
    .where(inArray(data_versions.name, [...kinds]));
  const byName = new Map(rows.map((r) => [r.name, r.version]));
  return kinds.map((kind) => byName.get(kind) ?? 0);
}
