/** Project folders as the CLI uses them: a working directory whose ./data/dscraper.db the commands open by default. */
import { expect } from "bun:test";
import { createClient, type InStatement } from "@libsql/client";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { tempDir } from "./temp.ts";

/** A fresh project folder with `bundle` imported (by `dscraper import`, from ./bundle.json). */
export async function importedProject(bundle: unknown): Promise<string> {
  const cwd = tempDir();
  writeFileSync(join(cwd, "bundle.json"), JSON.stringify(bundle));
  expect((await runCli(["import", "bundle.json"], { cwd })).code).toBe(0);
  return cwd;
}

/** The URL of a project folder's default database. */
export function projectDatabaseUrl(cwd: string): string {
  return `file:${join(cwd, "data/dscraper.db")}`;
}

/** Runs one statement on a project's database, on a connection of its own (as another process would). */
export async function projectRows(cwd: string, statement: InStatement): Promise<Record<string, unknown>[]> {
  const client = createClient({ url: projectDatabaseUrl(cwd) });
  try {
    return (await client.execute(statement)).rows.map((r) => ({ ...r }) as Record<string, unknown>);
  } finally {
    client.close();
  }
}
