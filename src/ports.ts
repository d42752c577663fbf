/**
 * @module
 * What the core needs from its platform. The binary (cli/) and the Worker (worker/) each implement these; nothing
 * in src/ knows which one it got.
 */
import type { Client } from "@libsql/client/web";
import type { Db } from "./db/connect.ts";

/** drizzle over a libSQL client: a local `file:` database or a remote libSQL server (Turso). */
export interface Database {
  readonly db: Db;
  /** The raw client, for batches and interactive transactions drizzle does not express. */
  readonly client: Client;
  /** Tags of the migrations applied when it was opened. */
  readonly applied: readonly string[];
  close(): void;
}

/** Time, so that scheduling can be driven by a simulated clock in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
