/**
 * @module
 * The Database port in the Worker: `@libsql/client/web` (libSQL over HTTP, each query a `fetch`) to Turso.
 *
 * One Database per isolate and database, made by the first request that needs it: the web client keeps no
 * connection between queries, so sharing it across requests shares nothing that belongs to one request. Opening
 * checks once that the database has this build's migrations (one round trip), and refuses it, naming the command
 * that applies them, when it has not: the Worker never migrates. A migration is dozens of statements, each a
 * round trip and so a subrequest, more than one invocation may make on the free plan; the deploy runs it once with
 * the binary (`dscraper migrate --db libsql://…`).
 *
 * This is the HTTP API's database (`app.ts`): each round trip is counted against the budget of the request that
 * made it (`request-scope.ts`). The queue and cron handlers open their own per invocation, without the migration
 * check and with every round trip counted against their budget (`queue/invocation.ts`).
 */
import { createClient } from "@libsql/client/web";
import { wrapDatabase, type Database } from "../src/db/connect.ts";
import { migrationState } from "../src/db/health.ts";
import { UnavailableError } from "../src/errors.ts";
import type { Env } from "./env.ts";
import { counted } from "./request-scope.ts";

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
    client = createClient({ url, ...(authToken ? { authToken } : {}), fetch: (request: Request) => counted("database", () => reach(url, request)) });
  } catch (e) {
    throw new UnavailableError(`TURSO_DATABASE_URL: cannot use '${url}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let state;
  try {
    state = await migrationState(client);
  } catch (e) {
    client.close();
    throw new UnavailableError(`database ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (state.migrations < state.expected) {
    client.close();
    throw new UnavailableError(
      `database ${url} has ${state.migrations} of this build's ${state.expected} migrations: apply them with \`dscraper migrate --db ${url}\` (its token in DSCRAPER_DB_AUTH_TOKEN); the Worker never migrates`,
    );
  }
  return wrapDatabase(client);
}

/** One round trip; a database that cannot be reached is named as unavailable (a 503), not an internal error. */
async function reach(url: string, request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (e) {
    throw new UnavailableError(`database ${url} cannot be reached: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
