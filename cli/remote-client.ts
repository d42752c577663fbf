/**
 * A remote libSQL client (Turso, sqld, the Hrana test server) with the local client's patience and error names
 * (`lock-wait.ts`): the server waits its own busy timeout for another writer's lock, then answers SQLITE_BUSY
 * (`SQLite error: database is locked`); an operation that fails as a whole is then sent again after a pause,
 * until our busy timeout has passed.
 */
import type { Client, Transaction, TransactionMode } from "@libsql/client";
import { named, retryWhileBusy, type LockWait } from "./lock-wait.ts";

export function remoteClient(client: Client, wait: LockWait): Client {
  const patient =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      retryWhileBusy(wait, () => fn(...args));
  const wrapped: Partial<Client> = {
    execute: patient(client.execute.bind(client)) as Client["execute"],
    batch: patient(client.batch.bind(client)),
    migrate: patient(client.migrate.bind(client)),
    executeMultiple: (sql: string) => named(wait, () => client.executeMultiple(sql)),
    // An HTTP transaction sends its BEGIN with its first statement; sending one at once makes a lock wait happen
    // here, where the whole transaction can still be opened again, rather than in the caller's first statement.
    transaction: (mode?: TransactionMode) =>
      retryWhileBusy(wait, async () => {
        const tx = await client.transaction(mode);
        try {
          await tx.execute("SELECT 1");
        } catch (e) {
          tx.close();
          throw e;
        }
        return namedStatements(tx, wait);
      }),
  };
  return new Proxy(client, { get: (target, prop) => (prop in wrapped ? wrapped[prop as keyof Client] : bound(target, prop)) });
}

function bound(target: object, prop: PropertyKey): unknown {
  const value: unknown = Reflect.get(target, prop);
  return typeof value === "function" ? value.bind(target) : value;
}

function namedStatements(tx: Transaction, wait: LockWait): Transaction {
  return new Proxy(tx, {
    get(target, prop) {
      if (prop === "commit") return () => named(wait, () => target.commit());
      if (prop === "execute") return (stmt: Parameters<Transaction["execute"]>[0]) => named(wait, () => target.execute(stmt));
      if (prop === "batch") return (stmts: Parameters<Transaction["batch"]>[0]) => named(wait, () => target.batch(stmts));
      return bound(target, prop);
    },
  });
}
