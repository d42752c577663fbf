/**
 * The Database port for the binary: `@libsql/client` on a local `file:` database (created with its folder on
 * first use) or a remote libSQL URL.
 */
import type { Client, Config } from "@libsql/client";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../src/db/connect.ts";
import { UnavailableError } from "../src/errors.ts";
import { UsageError } from "./args.ts";
import { localClient } from "./local-client.ts";

export const DEFAULT_DB_URL = "file:./data/dscraper.db";

/** The file path of a `file:` URL (relative ones stay relative to the working directory), else undefined. */
export function localPath(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  const bare = url.replace(/\?.*$/, "");
  return bare.startsWith("file://") ? fileURLToPath(bare) : bare.slice("file:".length);
}

/**
 * Only the driver the URL needs is loaded: the native file driver and the remote ones each weigh several MB of
 * memory in the binary, and a run uses one of them.
 */
async function clientFactory(url: string): Promise<(config: Config) => Client> {
  if (url.startsWith("file:") || url === ":memory:") return (await import("@libsql/client/sqlite3")).createClient;
  if (/^wss?:/.test(url)) return (await import("@libsql/client/ws")).createClient;
  if (/^(https?|libsql):/.test(url)) return (await import("@libsql/client/http")).createClient;
  return (await import("@libsql/client")).createClient;
}

export async function connectDatabase(url: string, authToken?: string): Promise<Database> {
  const path = localPath(url);
  if (path !== undefined && path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  let client: Client;
  try {
    // A crawl writes while `serve` reads and schedules: wait for a lock rather than fail at once.
    client = (await clientFactory(url))({ url, ...(authToken ? { authToken } : {}), timeout: 5000 });
  } catch (e) {
    throw new UsageError(`--db: cannot use '${url}': ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    if (path === undefined) return await openDatabase(client);
    // WAL lets readers go on while a crawl writes; the setting is stored in the file.
    await client.execute("PRAGMA journal_mode = WAL");
    return await openDatabase(localClient(client));
  } catch (e) {
    client.close();
    throw new UnavailableError(`database ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
