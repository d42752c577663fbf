/**
 * The Database port for the binary: `@libsql/client` on a local `file:` database (created with its folder on
 * first use) or a remote libSQL URL.
 */
import type { Client, Config } from "@libsql/client";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../src/db/connect.ts";
import { databaseError } from "../src/db/errors.ts";
import { errorMessage, UnavailableError } from "../src/errors.ts";
import { UsageError } from "./args.ts";
import { changeWatch } from "./change-watch.ts";
import { localClient } from "./local-client.ts";
import { DEFAULT_BUSY_TIMEOUT_MS, DRIVER_BUSY_MS, type LockWait } from "./lock-wait.ts";
import { remoteClient } from "./remote-client.ts";

export const DEFAULT_DB_URL = "file:./data/dscraper.db";

/**
 * Set on every connection to a local file. With WAL, `synchronous = NORMAL` still commits each transaction to the
 * WAL before the call returns, so a process killed at any point (SIGKILL, a crash) keeps every commit and the file
 * is never corrupt; only a power cut or an OS crash may take back the last commits. The default (FULL) syncs the
 * disk at every commit: the crawl writes its items as they are read (a commit per page or so), and on the
 * benchmark's follow crawl those syncs held the main thread for about a third of the run (bench/ab.sh).
 */
const PER_CONNECTION = ["PRAGMA synchronous = NORMAL"];

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

export interface ConnectOptions {
  /** How long an operation waits for another writer's lock (default {@link DEFAULT_BUSY_TIMEOUT_MS}). */
  busyTimeoutMs?: number;
  /** Told when an operation waits for another writer's lock. */
  onWait?(note: string): void;
}

/** The database as messages name it: a file's path, or a URL without its query (which may hold a token). */
export function databaseName(url: string): string {
  return localPath(url) ?? url.replace(/[?#].*$/, "");
}

export async function connectDatabase(url: string, authToken?: string, options: ConnectOptions = {}): Promise<Database> {
  const path = localPath(url);
  const name = databaseName(url);
  const wait: LockWait = { name, waitMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, ...(options.onWait ? { onWait: options.onWait } : {}) };
  if (path !== undefined && path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw new UnavailableError(`database ${name}: cannot create its folder ${dirname(path)} (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`);
    }
  }
  let client: Client;
  try {
    // The driver waits for a lock only briefly, blocking the thread; longer waits are the wrappers' (lock-wait.ts).
    client = (await clientFactory(url))({ url, ...(authToken ? { authToken } : {}), timeout: Math.min(wait.waitMs, DRIVER_BUSY_MS) });
  } catch (e) {
    const named = databaseError(e, name, 0);
    if (named !== e) throw named;
    throw new UsageError(`--db: cannot use '${url}': ${errorMessage(e)}`);
  }
  try {
    if (path === undefined) return await openDatabase(remoteClient(client, wait));
    const local = localClient(client, wait, PER_CONNECTION);
    // WAL lets readers go on while a crawl writes; the setting is stored in the file.
    await local.execute("PRAGMA journal_mode = WAL");
    for (const sql of PER_CONNECTION) await local.execute(sql);
    const database = await openDatabase(local);
    const watch = path === ":memory:" ? undefined : changeWatch(path);
    if (!watch) return database;
    return {
      ...database,
      changeMark: () => watch.mark(),
      close() {
        watch.close();
        database.close();
      },
    };
  } catch (e) {
    client.close();
    const named = databaseError(e, name, 0);
    if (named instanceof UnavailableError) throw named;
    throw new UnavailableError(`database ${name}: ${errorMessage(e)}`, { cause: e });
  }
}
