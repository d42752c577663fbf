/**
 * @module
 * Applies the embedded drizzle migrations. Bookkeeping is drizzle's own (`__drizzle_migrations`, hash and
 * folder time), so a database migrated here is one drizzle-kit recognises and vice versa.
 */
import type { Client } from "@libsql/client/web";

export interface Migration {
  tag: string;
  folderMillis: number;
  hash: string;
  sql: readonly string[];
}

const TABLE = "__drizzle_migrations";

/** Applies what the database lacks, in one write transaction; returns the tags applied. */
export async function migrate(client: Client, migrations: readonly Migration[]): Promise<string[]> {
  await client.execute(`CREATE TABLE IF NOT EXISTS ${TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const peek = await client.execute(`SELECT max(created_at) AS last FROM ${TABLE}`);
  if (pending(migrations, peek.rows[0]?.last).length === 0) return [];
  // Re-read inside the transaction: another process may have migrated since the peek.
  const tx = await client.transaction("write");
  try {
    const last = (await tx.execute(`SELECT max(created_at) AS last FROM ${TABLE}`)).rows[0]?.last;
    const todo = pending(migrations, last);
    for (const m of todo) {
      for (const statement of m.sql) await tx.execute(statement);
      await tx.execute({ sql: `INSERT INTO ${TABLE} (hash, created_at) VALUES (?, ?)`, args: [m.hash, m.folderMillis] });
    }
    await tx.commit();
    return todo.map((m) => m.tag);
  } finally {
    tx.close();
  }
}

function pending(migrations: readonly Migration[], last: unknown): Migration[] {
  const lastMillis = last === null || last === undefined ? -Infinity : Number(last);
  return migrations.filter((m) => m.folderMillis > lastMillis);
}
