/**
 * @module
 * The Database port over any libSQL client: the shells only differ in how they create the client.
 */
import type { Client } from "@libsql/client/web";
import type { LibSQLDatabase } from "drizzle-orm/libsql/driver-core";
import { drizzle } from "drizzle-orm/libsql/web";
import type { Database } from "../ports.ts";
import { migrate } from "./migrate.ts";
import { MIGRATIONS } from "./migrations.gen.ts";
import * as schema from "./schema.ts";

export type Db = LibSQLDatabase<typeof schema>;

/** Migrates the database the client points at and wraps it. */
export async function openDatabase(client: Client): Promise<Database> {
  const applied = await migrate(client, MIGRATIONS);
  return { db: drizzle({ client, schema }), client, applied, close: () => client.close() };
}
