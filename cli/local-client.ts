/**
 * The local `file:` libSQL client, made safe for one process that runs several jobs at once, and patient with
 * other processes.
 *
 * 1. One database operation at a time. The native driver runs statements synchronously and, when another
 *    connection holds the write lock, busy-waits on the JavaScript thread. Inside one process that is a
 *    deadlock: an interactive transaction awaiting its next statement cannot go on while a second connection's
 *    write blocks the thread, until the busy timeout throws SQLITE_BUSY. Queueing every operation (and a
 *    transaction for its whole life) behind one async lock removes the second writer; nothing is lost, since a
 *    native call blocks the thread anyway.
 * 2. Another process's lock is waited for asynchronously (`lock-wait.ts`): an operation that finds it taken is
 *    tried again after a pause, up to the busy timeout, instead of failing (and losing, say, a batch of items).
 * 3. Reconnect after SQLITE_BUSY. The driver leaves a statement that failed with SQLITE_BUSY un-reset, and every
 *    later autocommit write on that connection is then silently rolled back (the next writes are lost without an
 *    error). Dropping the connections before anyone uses them again is the cure.
 * 4. Failures a user can act on are named (`db/errors.ts`): locked by another writer, read-only, cannot open.
 * 5. Per-connection settings (`perConnection`, PRAGMAs SQLite does not store in the file) are set again after each
 *    reconnect; since operations run one at a time, the pool keeps that one connection.
 */
import type { Client, Transaction, TransactionMode } from "@libsql/client";
import { isBusy } from "../src/db/errors.ts";
import { named, retryWhileBusy, type LockWait } from "./lock-wait.ts";

type Release = () => void;

export function localClient(client: Client, wait: LockWait, perConnection: readonly string[] = []): Client {
  let tail: Promise<void> = Promise.resolve();
  let poisoned = false;
  const reconnect = async () => {
    poisoned = false;
    try {
      await client.reconnect();
      for (const sql of perConnection) await client.execute(sql);
    } catch {
      // the next operation reports the connection problem itself
    }
  };
  const acquire = (): Promise<Release> => {
    let release!: Release;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ready = tail.then(() => async () => {
      if (poisoned) await reconnect();
      release();
    });
    tail = tail.then(() => held);
    return ready.then((done) => () => void done());
  };
  const watch = <R>(p: Promise<R>): Promise<R> =>
    p.catch((e: unknown) => {
      if (isBusy(e)) poisoned = true;
      throw e;
    });
  /** One operation that fails as a whole: retried while another process holds the lock. */
  const patient =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const release = await acquire();
      try {
        return await retryWhileBusy(wait, () => watch(fn(...args)), reconnect);
      } finally {
        release();
      }
    };
  const wrapped: Partial<Client> = {
    execute: patient(client.execute.bind(client)) as Client["execute"],
    batch: patient(client.batch.bind(client)),
    migrate: patient(client.migrate.bind(client)),
    // Several statements, possibly a transaction of their own: not safe to run twice.
    executeMultiple: async (sql: string) => {
      const release = await acquire();
      try {
        return await named(wait, () => watch(client.executeMultiple(sql)));
      } finally {
        release();
      }
    },
    transaction: async (mode?: TransactionMode) => {
      const release = await acquire();
      try {
        // Only its BEGIN is retried: a failed BEGIN leaves nothing behind.
        const tx = await retryWhileBusy(wait, () => watch(client.transaction(mode)), reconnect);
        return holdUntilDone(tx, release, <R>(p: () => Promise<R>) => named(wait, () => watch(p())));
      } catch (e) {
        release();
        throw e;
      }
    },
  };
  return new Proxy(client, { get: (target, prop) => (prop in wrapped ? wrapped[prop as keyof Client] : bound(target, prop)) });
}

/** The client keeps its state in private fields, which only exist on the client itself, not on a proxy of it. */
function bound(target: object, prop: PropertyKey): unknown {
  const value: unknown = Reflect.get(target, prop);
  return typeof value === "function" ? value.bind(target) : value;
}

/** Releases the lock when the transaction ends, however it ends; its statements' failures are named. */
function holdUntilDone(tx: Transaction, release: Release, guard: <R>(p: () => Promise<R>) => Promise<R>): Transaction {
  let done = false;
  const end = () => {
    if (!done) {
      done = true;
      release();
    }
  };
  const finishing = (fn: () => Promise<void> | void) => async () => {
    try {
      await fn();
    } finally {
      end();
    }
  };
  return new Proxy(tx, {
    get(target, prop) {
      if (prop === "commit") return finishing(() => guard(() => target.commit()));
      if (prop === "rollback") return finishing(() => target.rollback());
      if (prop === "close") return finishing(() => target.close());
      if (prop === "execute") return (stmt: Parameters<Transaction["execute"]>[0]) => guard(() => target.execute(stmt));
      if (prop === "batch") return (stmts: Parameters<Transaction["batch"]>[0]) => guard(() => target.batch(stmts));
      return bound(target, prop);
    },
  });
}
