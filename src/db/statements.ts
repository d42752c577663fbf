/**
 * @module
 * Raw statements for the queries that drizzle does not express (conditional multi-statement batches, json_each),
 * written with named placeholders (`:name`) and bound by position, which every libSQL driver and server reads
 * the same way. A batch of them is one round trip and one transaction.
 */
import type { InStatement, InValue, ResultSet, Row } from "@libsql/client/web";
import type { Database } from "./connect.ts";

/** A statement to run in a batch; other query modules build them, the caller may add some to its own batch. */
export type Statement = InStatement;

/** The database's clock in milliseconds: one clock for every isolate and process that shares the database. */
export const DB_NOW = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

/** `sql` with `:name` placeholders bound from `values` (every placeholder must have a value). */
export function statement(sql: string, values: Readonly<Record<string, InValue>> = {}): Statement {
  const args: InValue[] = [];
  const text = sql.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`statement: no value for :${name}`);
    args.push(values[name]!);
    return "?";
  });
  return { sql: text, args };
}

/** Runs the statements as one write transaction, in one round trip. */
export function runBatch(database: Database, statements: readonly Statement[]): Promise<ResultSet[]> {
  return database.client.batch([...statements], "write");
}

/** A JSON path of object keys: `$."pages"."main"`. SQLite's quoted labels have no escapes, so a `"` becomes `'`. */
export function jsonPath(keys: readonly string[]): string {
  return "$" + keys.map((k) => `."${k.replaceAll('"', "'")}"`).join("");
}

export function num(row: Row | undefined, column: string): number {
  return Number(row?.[column] ?? 0);
}

export function str(row: Row | undefined, column: string): string | null {
  const v = row?.[column];
  return v === null || v === undefined ? null : String(v);
}

/** A JSON column read back (null when SQL NULL). */
export function json<T>(row: Row | undefined, column: string): T | null {
  const text = str(row, column);
  return text === null ? null : (JSON.parse(text) as T);
}

/**
 * Counts added to a JSON stats column: each path is created at 0 when missing. The amounts are bound, the paths
 * are literals (they name stats keys, which the caller builds from its own vocabulary and error kinds).
 */
export function addCounts(column: string, counts: readonly (readonly [readonly string[], number])[], prefix: string): { sql: string; values: Record<string, InValue> } {
  const values: Record<string, InValue> = {};
  let sql = column;
  counts.forEach(([keys, amount], i) => {
    const path = jsonPath(keys).replaceAll("'", "''");
    const name = `${prefix}${i}`;
    values[name] = amount;
    sql = `json_set(${sql}, '${path}', coalesce(json_extract(${column}, '${path}'), 0) + :${name})`;
  });
  return { sql, values };
}
