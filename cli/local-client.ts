/**
 * The local `file:` libSQL client, made safe for one process that runs several jobs at once.
 *
 * 1. One database operation at a time. The native driver runs statements synchronously and, when another
 *    connection holds the write lock, busy-waits on the JavaScript thread. Inside one process that is a
 *    deadlock: an interactive transaction awaiting its next statement cannot go on while a second connection's
 *    write blocks the thread, until the busy timeout throws SQLITE_BUSY. Queueing every operation (and a
 *    transaction for its whole life) behind one async lock removes the second writer; nothing is lost, since a
 *    native call blocks the thread anyway.
 * 2. Reconnect after SQLITE_BUSY. The driver leaves a statement that failed with SQLITE_BUSY un-reset, and every
 *    later autocommit write on that connection is then silently rolled back (another process held the lock
 *    longer than the busy timeout, and the next writes are lost without an error). Dropping the connections
 *    before anyone uses them again is the cure.
 */
import type { Client, Transaction, TransactionMode } from "@libsql/client";

type Release = () => void;

function isBusy(e: unknown): boolean {
  return typeof e === "object" && e !== null && String((e as { code?: unknown }).code).startsWith("SQLITE_BUSY");
}

export function localClient(client: Client): Client {
  let tail: Promise<void> = Promise.resolve();
  let poisoned = false;
  const acquire = (): Promise<Release> => {
    let release!: Release;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ready = tail.then(() => async () => {
      if (poisoned) {
        poisoned = false;
        try {
          await client.reconnect();
        } catch {
          // the next operation reports the connection problem itself
        }
      }
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
  const locked =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const release = await acquire();
      try {
        return await watch(fn(...args));
      } finally {
        release();
      }
    };
  const wrapped: Partial<Client> = {
    execute: locked(client.execute.bind(client)) as Client["execute"],
    batch: locked(client.batch.bind(client)),
    migrate: locked(client.migrate.bind(client)),
    executeMultiple: locked(client.executeMultiple.bind(client)),
    transaction: async (mode?: TransactionMode) => {
      const release = await acquire();
      try {
        return holdUntilDone(await watch(client.transaction(mode)), release, watch);
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

/** Releases the lock when the transaction ends, however it ends. */
function holdUntilDone(tx: Transaction, release: Release, watch: <R>(p: Promise<R>) => Promise<R>): Transaction {
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
      if (prop === "commit") return finishing(() => watch(target.commit()));
      if (prop === "rollback") return finishing(() => target.rollback());
      if (prop === "close") return finishing(() => target.close());
      if (prop === "execute") return (stmt: Parameters<Transaction["execute"]>[0]) => watch(target.execute(stmt));
      if (prop === "batch") return (stmts: Parameters<Transaction["batch"]>[0]) => watch(target.batch(stmts));
      return bound(target, prop);
    },
  });
}
