/**
 * @module
 * What one invocation of the Worker works with: its budget, and the ports built over it so that every subrequest
 * is counted — the database (a libSQL web client of its own whose `fetch` counts, opened without the migration
 * check), the fetcher (through the host gate), R2 (through the counting store) — plus the messages it will send at
 * its end, and its structured log lines.
 */
import * as photon from "@cf-wasm/photon/workerd";
import { createClient } from "@libsql/client/web";
import { wrapDatabase, type Database } from "../../src/db/connect.ts";
import { UnavailableError } from "../../src/errors.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import type { Photon } from "../../src/images/thumbnail.ts";
import type { ProcessorEnv } from "../../src/expressions/processors.ts";
import type { BlobStore, Clock } from "../../src/ports.ts";
import { systemClock } from "../../src/ports.ts";
import { Budget, countedFetch } from "../budget.ts";
import type { Env } from "../env.ts";
import { HostGate } from "../politeness.ts";
import { R2BlobStore } from "../r2-blob-store.ts";
import type { WorkerSettings } from "../settings.ts";
import type { Message } from "./messages.ts";

/**
 * Held back from the work for the invocation's end: the host releases still to write (1), the messages to send
 * (2 batches of 100) and the record of what the invocation spent (1).
 */
export const RESERVE = 4;
/** Messages one invocation sends at most (two `sendBatch` calls of the queue's 100). */
export const OUTBOX_CAPACITY = 200;

export interface Outgoing {
  body: Message;
  delaySeconds?: number;
}

export type LogFields = Record<string, unknown>;

export interface Invocation {
  settings: WorkerSettings;
  budget: Budget;
  database: Database;
  gate: HostGate;
  fetcher: Fetcher;
  store: BlobStore;
  photon: Photon;
  clock: Clock;
  env: ProcessorEnv;
  /** Messages to send when the invocation ends. */
  outbox: Outgoing[];
  /** Jobs the invocation worked for (recorded with what it spent). */
  jobs: Set<number>;
  /** Messages handed on because the budget was spent or a host was busy. */
  carried: number;
  /** Room kept in the outbox for handing on the batch's own messages (one each, at most). */
  keptRoom: number;
  log(level: "DEBUG" | "INFO" | "WARNING" | "ERROR", msg: string, fields?: LogFields): void;
}

/** One structured log line (Workers Logs keeps them as JSON). */
export function logLine(level: string, msg: string, fields: LogFields = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}

export function createInvocation(vars: Env, settings: WorkerSettings): Invocation {
  const budget = new Budget(settings.subrequestBudget, Math.min(RESERVE, settings.subrequestBudget - 1), settings.wallBudgetMs);
  const database = invocationDatabase(vars, budget);
  const sleep = (ms: number) => budget.waiting(() => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const gate = new HostGate({ database, budget, settings: settings.fetch, maxWaitMs: settings.hostWaitMs, sleep });
  // Retries are the queue's (a message delivered again after a backoff), and delays and lanes are the gate's:
  // the fetcher itself tries once and keeps no delay of its own.
  const fetcher = new Fetcher({ ...settings.fetch, attempts: 1, delayMs: 0 }, gate.fetchFn);
  return {
    settings,
    budget,
    database,
    gate,
    fetcher,
    store: new R2BlobStore(vars.IMAGES, (call) => budget.call("storage", call)),
    photon,
    clock: systemClock,
    env: { timeZone: settings.timeZone, now: () => new Date() },
    outbox: [],
    jobs: new Set(),
    carried: 0,
    keptRoom: 0,
    log: logLine,
  };
}

/** The database for one invocation: a client of its own whose every HTTP request is counted as a subrequest. */
export function invocationDatabase(vars: Pick<Env, "TURSO_DATABASE_URL" | "TURSO_AUTH_TOKEN">, budget: Budget): Database {
  const url = vars.TURSO_DATABASE_URL?.trim() ?? "";
  if (url === "") throw new UnavailableError("TURSO_DATABASE_URL is not set (wrangler.toml [vars])");
  const token = vars.TURSO_AUTH_TOKEN ?? "";
  try {
    return wrapDatabase(createClient({ url, ...(token ? { authToken: token } : {}), fetch: countedFetch(budget, "database") }));
  } catch (e) {
    throw new UnavailableError(`TURSO_DATABASE_URL: cannot use '${url}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** A fresh id (lease tokens, commit ids). */
export function newId(): string {
  return crypto.randomUUID();
}

/** Room left in the outbox for the pages steps plan (what the batch's own messages may need is kept apart). */
export function outboxRoom(inv: Invocation): number {
  return Math.max(0, OUTBOX_CAPACITY - inv.keptRoom - inv.outbox.length);
}

/** Until when a crawl job counts as alive without another step: past any retry backoff or host wait of its messages. */
export const RUN_ALIVE_MS = 10 * 60_000;

export function aliveUntil(inv: Invocation): Date {
  return new Date(inv.clock.now().getTime() + RUN_ALIVE_MS);
}
