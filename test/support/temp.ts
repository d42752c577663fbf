/**
 * Temp folders and real libSQL file databases for tests, removed when the test run ends. bun runs every test file
 * in one process and evaluates this module once, so an `afterAll` registered here would belong to the first file
 * that imports it only (and bun fires no `exit` event): `test/support/cleanup.ts`, preloaded by bunfig.toml,
 * calls `removeTempFiles` once after the last file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectDatabase } from "../../cli/database.ts";
import type { Database } from "../../src/db/connect.ts";
import { startHranaServer, type HranaServer } from "./hrana-server.ts";

const made: string[] = [];
const opened: Database[] = [];
const servers: HranaServer[] = [];

export async function removeTempFiles(): Promise<void> {
  for (const s of servers.splice(0)) await s.close();
  for (const d of opened.splice(0)) d.close();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(prefix = "dscraper-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A fresh, migrated file database in its own temp folder. */
export async function tempDatabase(): Promise<Database & { url: string }> {
  const url = `file:${join(tempDir(), "test.db")}`;
  const database = await connectDatabase(url);
  opened.push(database);
  return Object.assign(database, { url });
}

/** A fresh database behind a Hrana-over-HTTP server (the stand-in for Turso), reached by URL as `--db` would. */
export async function tempRemoteDatabase(): Promise<Database & { url: string }> {
  const server = await startHranaServer({ dbPath: join(tempDir(), "remote.db") });
  servers.push(server);
  const database = await connectDatabase(server.url);
  opened.push(database);
  return Object.assign(database, { url: server.url });
}

/** The Database port's conformance suites run against each of these. */
export const DATABASE_BACKENDS = [
  { name: "local file", open: tempDatabase },
  { name: "remote libSQL over HTTP", open: tempRemoteDatabase },
] as const;
