/**
 * @module
 * Whether the database answers, and with the schema this build expects: what a health check asks of it.
 */
import type { Client } from "@libsql/client/web";
import { MIGRATIONS } from "./migrations.gen.ts";

export interface DatabaseHealth {
  /** Migrations recorded as applied in the database. */
  migrations: number;
  /** Migrations this build ships; more than `migrations` means the database is behind. */
  expected: number;
}

/** One round trip: counts the applied migrations (drizzle's own bookkeeping table). */
export async function databaseHealth(client: Pick<Client, "execute">): Promise<DatabaseHealth> {
  const result = await client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
  return { migrations: Number(result.rows[0]?.n ?? 0), expected: MIGRATIONS.length };
}

/**
 * What {@link databaseHealth} says, for a database that may never have been migrated (no bookkeeping table yet:
 * none applied). One round trip, two when the table is missing.
 */
export async function migrationState(client: Pick<Client, "execute">): Promise<DatabaseHealth> {
  try {
    return await databaseHealth(client);
  } catch (e) {
    const table = await client.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'");
    if (table.rows.length === 0) return { migrations: 0, expected: MIGRATIONS.length };
    throw e;
  }
}
