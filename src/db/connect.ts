/**
 * @module
 * The Database port over any libSQL client: the shells only differ in how they create the client. Layers above
 * db/ hold a `Database` and hand it to the queries of db/; only db/ reaches into `db` and `client`.
 */
import type { Client } from "@libsql/client/web";
import type { LibSQLDatabase } from "drizzle-orm/libsql/driver-core";
import { drizzle } from "drizzle-orm/libsql/web";
import { migrate } from "./migrate.ts";
import { MIGRATIONS } from "./migrations.gen.ts";
import * as queueSchema from "./queue-schema.ts";
import * as mainSchema from "./schema.ts";

/** Every table, for drizzle (the main schema and the Worker queue's). */
export const schema = { ...mainSchema, ...queueSchema };

export type Db = LibSQLDatabase<typeof schema>;

/** drizzle over a libSQL client: a local `file:` database or a remote libSQL server (Turso). */
export interface Database {
  readonly db: Db;
  /** The raw client, for batches and interactive transactions drizzle does not express. */
  readonly client: Client;
  /** Tags of the migrations applied when it was opened. */
  readonly applied: readonly string[];
  /**
   * A number that differs from the last one returned whenever anyone (this process or another) may have committed
   * since: the binary's local file answers from SQLite's `PRAGMA data_version` (cli/change-watch.ts). Absent, or
   * undefined when it cannot tell: whoever caches what the database says must ask it again.
   */
  changeMark?(): number | undefined;
  close(): void;
}

/** Migrates the database the client points at and wraps it. */
export async function openDatabase(client: Client): Promise<Database> {
  return wrapDatabase(client, await migrate(client, MIGRATIONS));
}

/**
 * Wraps a client without asking whether the database is migrated: for the Worker, whose every round trip is a
 * subrequest, and whose database is migrated once at deploy time (`dscraper migrate --db libsql://…`).
 */
export function wrapDatabase(client: Client, applied: readonly string[] = []): Database {
  return { db: drizzle({ client, schema }), client, applied, close: () => client.close() };
}
