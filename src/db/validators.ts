/**
 * @module
 * Page validators (ETag, Last-Modified) per source and request, for conditional re-crawls and checks.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "./connect.ts";
import { page_validators } from "./schema.ts";

export interface PageValidator {
  etag?: string;
  lastModified?: string;
}

function fromRow(r: { etag: string | null; last_modified: string | null }): PageValidator {
  return { ...(r.etag ? { etag: r.etag } : {}), ...(r.last_modified ? { lastModified: r.last_modified } : {}) };
}

/** Every validator of the source, by request key. */
export async function sourceValidators(database: Database, sourceId: number): Promise<Map<string, PageValidator>> {
  const rows = await database.db.select().from(page_validators).where(eq(page_validators.source_id, sourceId));
  return new Map(rows.map((r) => [r.request_key, fromRow(r)]));
}

/** One request's validator; undefined when none is stored. */
export async function pageValidator(database: Database, sourceId: number, requestKey: string): Promise<PageValidator | undefined> {
  const [row] = await database.db
    .select()
    .from(page_validators)
    .where(and(eq(page_validators.source_id, sourceId), eq(page_validators.request_key, requestKey)));
  return row && fromRow(row);
}

/** Stores (or replaces) validators of the source's requests, in slices that fit a statement. */
export async function saveValidators(database: Database, sourceId: number, validators: ReadonlyMap<string, PageValidator>, now: Date): Promise<void> {
  const rows = [...validators].map(([request_key, v]) => ({ source_id: sourceId, request_key, etag: v.etag ?? null, last_modified: v.lastModified ?? null, updated_at: now }));
  for (let i = 0; i < rows.length; i += 200) {
    await database.db
      .insert(page_validators)
      .values(rows.slice(i, i + 200))
      .onConflictDoUpdate({ target: [page_validators.source_id, page_validators.request_key], set: { etag: sql`excluded.etag`, last_modified: sql`excluded.last_modified`, updated_at: now } });
  }
}
