/**
 * @module
 * The Database port in the Worker: `@libsql/client/web` (libSQL over HTTP, each query a `fetch`) to Turso, opened
 * with the core's `openDatabase`, which applies the migrations the database lacks.
 *
 * One Database per isolate and database, made by the first invocation that needs it: the web client keeps no
 * connection between queries, so sharing it across invocations shares nothing that belongs to one request, and
 * later invocations skip the migration check (two round trips, and each round trip is a subrequest).
 *
 * This is `GET /api/health`'s database. The queue and cron handlers open their own per invocation, without the
 * migration check and with every round trip counted against their budget (`queue/invocation.ts`).
 */
import { createClient } from "@libsql/client/web";
import { openDatabase, type Database } from "../src/db/connect.ts";
import { UnavailableError } from "../src/errors.ts";
import type { Env } from "./env.ts";

const opened = new Map<string, Promise<Database>>();

export function workerDatabase(env: Pick<Env, "TURSO_DATABASE_URL" | "TURSO_AUTH_TOKEN">): Promise<Database> {
  const url = env.TURSO_DATABASE_URL?.trim() ?? "";
  if (url === "") return Promise.reject(new UnavailableError("TURSO_DATABASE_URL is not set (wrangler.toml [vars])"));
  const token = env.TURSO_AUTH_TOKEN ?? "";
  const key = `${url}\n${token}`;
  let database = opened.get(key);
  if (database === undefined) {
    database = open(url, token);
    opened.set(key, database);
    // A database that could not be opened (down, bad token) is tried again by the next invocation.
    database.catch(() => opened.delete(key));
  }
  return database;
}

async function open(url: string, authToken: string): Promise<Database> {
  let client;
  try {
    client = createClient({ url, ...(authToken ? { authToken } : {}) });
  } catch (e) {
    throw new UnavailableError(`TURSO_DATABASE_URL: cannot use '${url}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    return await openDatabase(client);
  } catch (e) {
    client.close();
    throw new UnavailableError(`database ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
