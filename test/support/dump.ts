/** Every row of every table, to compare a database before and after an operation that must change nothing. */
import type { Database } from "../../src/db/connect.ts";

export async function dumpTables(database: Database): Promise<Record<string, unknown[]>> {
  const tables = (await database.client.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")).rows;
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    out[String(name)] = (await database.client.execute(`SELECT * FROM "${String(name)}" ORDER BY rowid`)).rows.map((r) => ({ ...r }));
  }
  return out;
}
