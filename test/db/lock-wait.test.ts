/**
 * Waiting for another writer's lock, on a local file and on a remote server (the Hrana test server standing in
 * for Turso): an operation that finds the lock taken waits without blocking the process, is done once the lock
 * is free, and after the busy timeout fails with one line naming the cause.
 */
import { describe, expect, test } from "bun:test";
import { createClient as createLocalClient } from "@libsql/client";
import { createClient as createWebClient, type Client, type Transaction } from "@libsql/client/web";
import { join } from "node:path";
import { localClient } from "../../cli/local-client.ts";
import { remoteClient } from "../../cli/remote-client.ts";
import { DatabaseLockedError } from "../../src/db/errors.ts";
import { startHranaServer } from "../support/hrana-server.ts";
import { tempDir } from "../support/temp.ts";

interface Setup {
  /** A plain client of the same database, to hold the lock with. */
  other: Client;
  /** The client under test, waiting up to `waitMs`; `waiting` resolves at its first lock-wait note. */
  patient(waitMs: number): { client: Client; waiting: Promise<string> };
  close(): Promise<void>;
}

/** A promise of the first lock-wait note, and the callback that gives it. */
function firstNote(): { waiting: Promise<string>; onWait: (note: string) => void } {
  let onWait!: (note: string) => void;
  const waiting = new Promise<string>((resolve) => (onWait = resolve));
  return { waiting, onWait };
}

const BACKENDS: { name: string; open(): Promise<Setup> }[] = [
  {
    name: "local file",
    async open() {
      const url = `file:${join(tempDir(), "lock.db")}`;
      const other = createLocalClient({ url, timeout: 0 });
      await other.execute("PRAGMA journal_mode = WAL");
      const made: Client[] = [other];
      return {
        other,
        patient(waitMs) {
          const { waiting, onWait } = firstNote();
          const client = localClient(createLocalClient({ url, timeout: 50 }), { name: "lock.db", waitMs, onWait });
          made.push(client);
          return { client, waiting };
        },
        close: async () => made.forEach((c) => c.close()),
      };
    },
  },
  {
    name: "remote libSQL over HTTP",
    async open() {
      const server = await startHranaServer({ dbPath: join(tempDir(), "remote.db"), busyTimeoutMs: 100 });
      const other = createWebClient({ url: server.url });
      const made: Client[] = [other];
      return {
        other,
        patient(waitMs) {
          const { waiting, onWait } = firstNote();
          const client = remoteClient(createWebClient({ url: server.url }), { name: server.url, waitMs, onWait });
          made.push(client);
          return { client, waiting };
        },
        close: async () => {
          made.forEach((c) => c.close());
          await server.close();
        },
      };
    },
  },
];

/** A database with table t whose write lock `other` holds, its row 'holder' written but not committed. */
async function lockHeld(open: () => Promise<Setup>): Promise<{ db: Setup; holder: Transaction }> {
  const db = await open();
  await db.other.execute("CREATE TABLE t (v TEXT)");
  const holder = await db.other.transaction("write");
  await holder.execute("INSERT INTO t VALUES ('holder')");
  return { db, holder };
}

async function values(client: Client): Promise<unknown[]> {
  return (await client.execute("SELECT v FROM t ORDER BY rowid")).rows.map((r) => r.v);
}

describe.each(BACKENDS)("lock waits on a $name database", ({ open }) => {
  test("a write that finds the lock taken waits for it, without blocking the process, and is done once", async () => {
    const { db, holder } = await lockHeld(open);
    const { client, waiting } = db.patient(600_000);
    const write = client.execute("INSERT INTO t VALUES ('waited')");
    // This test goes on while the write waits: the wait is asynchronous. Released only once it is seen waiting.
    expect(await waiting).toContain("is locked by another writer; waiting for it (up to 600 s)");
    await holder.commit();
    await write;
    expect(await values(db.other)).toEqual(["holder", "waited"]);
    await db.close();
  });

  test("a batch that finds the lock taken is retried whole, and every statement is written exactly once", async () => {
    const { db, holder } = await lockHeld(open);
    const { client, waiting } = db.patient(600_000);
    const batch = client.batch(["INSERT INTO t VALUES ('b1')", "INSERT INTO t VALUES ('b2')", "INSERT INTO t VALUES ('b3')"], "write");
    await waiting;
    await holder.commit();
    await batch;
    expect(await values(db.other)).toEqual(["holder", "b1", "b2", "b3"]);
    await db.close();
  });

  test("a transaction waits for the lock at its start, then runs as usual", async () => {
    const { db, holder } = await lockHeld(open);
    const { client, waiting } = db.patient(600_000);
    const opened = client.transaction("write");
    await waiting;
    await holder.commit();
    const tx = await opened;
    await tx.execute("INSERT INTO t VALUES ('tx')");
    await tx.commit();
    expect(await values(db.other)).toEqual(["holder", "tx"]);
    // The client goes on working after the wait.
    await client.execute("INSERT INTO t VALUES ('after')");
    expect(await values(db.other)).toEqual(["holder", "tx", "after"]);
    await db.close();
  });

  test("after the busy timeout: one line naming the cause, nothing written, and the client still works", async () => {
    const { db, holder } = await lockHeld(open);
    const { client } = db.patient(300);
    const error = await client.execute("INSERT INTO t VALUES ('given up')").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseLockedError);
    expect((error as Error).message).toMatch(/^database \S+ is locked by another writer \(waited [\d.]+ s\)$/);
    await holder.commit();
    await client.execute("INSERT INTO t VALUES ('after')");
    expect(await values(db.other)).toEqual(["holder", "after"]);
    await db.close();
  });
});
