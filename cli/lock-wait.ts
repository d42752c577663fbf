/**
 * Waiting for another writer's lock without freezing the process, and naming the failures a user can act on.
 *
 * SQLite's own busy timeout waits inside the driver's synchronous call: the whole process stops, heartbeats,
 * fetches and Ctrl-C included. So the driver waits only briefly (`DRIVER_BUSY_MS`), and an operation that still
 * finds the lock taken is retried here after an asynchronous pause, until `waitMs` have passed. Only operations
 * that fail as a whole are retried: one statement, a batch (its transaction is rolled back), the BEGIN of a
 * transaction. A statement inside an open transaction is not (the transaction is the caller's).
 */
import { databaseError, isBusy } from "../src/db/errors.ts";

/** How long the driver itself waits for a lock, blocking the thread, before we wait asynchronously. */
export const DRIVER_BUSY_MS = 100;
/** How long a command waits for another writer by default: far longer than any write of dscraper's own (an
 * import of 30,000 scrapers holds the lock for about a second), well inside a running job's 60 s lease (its
 * heartbeats wait for the same lock), and short enough that a writer that is stuck gets named soon. */
export const DEFAULT_BUSY_TIMEOUT_MS = 30_000;
/** Between a lock wait's notes. */
const NOTE_EVERY_MS = 5_000;

export interface LockWait {
  /** The database as the user named it (path or URL), for messages. */
  name: string;
  /** How long an operation may wait for another writer's lock in all; 0 fails at once. */
  waitMs: number;
  /** Told when an operation finds the lock taken, then every few seconds while it waits. */
  onWait?(note: string): void;
  sleep?(ms: number): Promise<void>;
  now?(): number;
}

/**
 * Runs `attempt`, again after a pause while it fails with SQLITE_BUSY, until `wait.waitMs` have passed; then, or
 * for any other failure, throws the named error (`db/errors.ts`). `beforeRetry` runs before each new attempt.
 */
export async function retryWhileBusy<R>(wait: LockWait, attempt: () => Promise<R>, beforeRetry?: () => Promise<void>): Promise<R> {
  const now = wait.now ?? Date.now;
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  let noted: number | undefined;
  for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
    try {
      return await attempt();
    } catch (e) {
      // The failed attempt's own wait (in the driver, or on the server) is part of it.
      const waited = now() - started;
      if (!isBusy(e) || waited >= wait.waitMs) throw databaseError(e, wait.name, waited);
      if (noted === undefined) {
        wait.onWait?.(`database ${wait.name} is locked by another writer; waiting for it (up to ${Math.round(wait.waitMs / 1000)} s)`);
        noted = waited;
      } else if (waited - noted >= NOTE_EVERY_MS) {
        wait.onWait?.(`database ${wait.name} is still locked by another writer (waited ${Math.floor(waited / 1000)} s of up to ${Math.round(wait.waitMs / 1000)} s)`);
        noted = waited;
      }
      await sleep(Math.min(pause, Math.max(0, wait.waitMs - waited)));
      await beforeRetry?.();
    }
  }
}

/** For what cannot be retried (a statement inside a transaction): the failure, named. */
export async function named<R>(wait: LockWait, run: () => Promise<R>): Promise<R> {
  const started = (wait.now ?? Date.now)();
  try {
    return await run();
  } catch (e) {
    throw databaseError(e, wait.name, (wait.now ?? Date.now)() - started);
  }
}
