/**
 * Reading the Worker's database from the test: the libSQL file behind the Hrana test server, opened read-only
 * beside it (WAL mode lets both work at once), and importing bundles through the Hrana server as a deploy's
 * `dscraper import --db` would.
 */
import Database from "libsql";
import { createClient } from "@libsql/client";
import { importBundle } from "../../../src/bundle/import.ts";
import { openDatabase, type Database as Db } from "../../../src/db/connect.ts";
import type { BundleInput } from "../../../src/model/bundle.ts";
import { systemClock } from "../../../src/ports.ts";

export type Row = Record<string, unknown>;

/** Rows of a query on the database file (read-only). */
export function query(dbPath: string, sql: string, ...args: unknown[]): Row[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...args) as Row[];
  } finally {
    db.close();
  }
}

/** The database through the Hrana server (migrated on first use), as the CLI reaches Turso. */
export async function remote(url: string, authToken?: string): Promise<Db> {
  return openDatabase(createClient({ url, ...(authToken ? { authToken } : {}) }));
}

export async function importInto(url: string, bundle: BundleInput, authToken?: string): Promise<void> {
  const database = await remote(url, authToken);
  try {
    await importBundle(database, bundle, systemClock);
  } finally {
    database.close();
  }
}

export interface JobState {
  id: number;
  kind: string;
  status: string;
  error: string | null;
  stats: Record<string, unknown>;
}

export function jobs(dbPath: string): JobState[] {
  return query(dbPath, "SELECT id, kind, status, error, stats FROM jobs ORDER BY id").map((r) => ({
    id: Number(r.id),
    kind: String(r.kind),
    status: String(r.status),
    error: r.error === null ? null : String(r.error),
    stats: JSON.parse(String(r.stats)) as Record<string, unknown>,
  }));
}

/**
 * Waits until `done` holds for the database's state, looking every 200 ms; fails after `ms` (a generous bound so
 * that a broken run fails instead of hanging; nothing is asserted about how long it took).
 */
export async function waitFor<T>(what: string, look: () => T | undefined | Promise<T | undefined>, ms = 240_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const seen = await look();
    if (seen !== undefined) return seen;
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await Bun.sleep(200);
  }
}

/** Waits for job `id` to end (succeeded, failed or cancelled). */
export function jobEnded(dbPath: string, id: number, ms?: number): Promise<JobState> {
  return waitFor(`job ${id} to end`, () => jobs(dbPath).find((j) => j.id === id && !["queued", "running"].includes(j.status)), ms);
}
