import { describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { join } from "node:path";
import { localClient } from "../../cli/local-client.ts";
import { tempDir } from "../support/temp.ts";

describe("localClient (one operation at a time on a local file)", () => {
  test("a write issued while an interactive transaction is open waits for it instead of deadlocking", async () => {
    const raw = createClient({ url: `file:${join(tempDir(), "s.db")}`, timeout: 2000 });
    const client = localClient(raw, { name: "s.db", waitMs: 2000 });
    await client.execute("CREATE TABLE t (v TEXT)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('in tx')");
    const outside = client.execute("INSERT INTO t VALUES ('outside')"); // must queue, not block the thread
    await new Promise((r) => setTimeout(r, 20));
    await tx.execute("INSERT INTO t VALUES ('in tx 2')");
    await tx.commit();
    await outside;
    const rows = (await client.execute("SELECT v FROM t ORDER BY rowid")).rows.map((r) => r.v);
    expect(rows).toEqual(["in tx", "in tx 2", "outside"]);
    client.close();
  });

  test("a rolled-back or failed transaction releases the lock", async () => {
    const client = localClient(createClient({ url: `file:${join(tempDir(), "r.db")}`, timeout: 2000 }), { name: "r.db", waitMs: 2000 });
    await client.execute("CREATE TABLE t (v TEXT UNIQUE)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('a')");
    await tx.rollback();
    await expect(client.batch(["INSERT INTO t VALUES ('b')", "INSERT INTO t VALUES ('b')"], "write")).rejects.toThrow(/UNIQUE/);
    await client.execute("INSERT INTO t VALUES ('c')");
    expect((await client.execute("SELECT v FROM t")).rows.map((r) => r.v)).toEqual(["c"]);
    client.close();
  });

  test("without it the same interleaving fails with SQLITE_BUSY (why the wrapper exists)", async () => {
    const raw = createClient({ url: `file:${join(tempDir(), "b.db")}`, timeout: 200 });
    await raw.execute("CREATE TABLE t (v TEXT)");
    const tx = await raw.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('in tx')");
    await expect(raw.execute("INSERT INTO t VALUES ('outside')")).rejects.toThrow(/SQLITE_BUSY|locked/);
    await tx.rollback();
    raw.close();
  });

  test("writes after an SQLITE_BUSY are not silently lost (the driver's un-reset statement)", async () => {
    const url = `file:${join(tempDir(), "lost.db")}`;
    const other = createClient({ url, timeout: 100 });
    const client = localClient(createClient({ url, timeout: 100 }), { name: "lost.db", waitMs: 0 });
    await other.execute("CREATE TABLE t (v TEXT)");
    const tx = await other.transaction("write"); // another process holding the lock too long
    await tx.execute("INSERT INTO t VALUES ('other')");
    await expect(client.execute("INSERT INTO t VALUES ('busy')")).rejects.toThrow(/^database lost.db is locked by another writer \(waited [\d.]+ s\)$/);
    await tx.commit();
    await client.execute("INSERT INTO t VALUES ('after 1')");
    await client.execute("INSERT INTO t VALUES ('after 2')");
    client.close();
    const reader = createClient({ url });
    expect((await reader.execute("SELECT v FROM t ORDER BY rowid")).rows.map((r) => r.v)).toEqual(["other", "after 1", "after 2"]);
    reader.close();
    other.close();
  });

  test("per-connection settings hold on every operation, in a transaction and after the reconnect that follows an SQLITE_BUSY", async () => {
    const url = `file:${join(tempDir(), "sync.db")}`;
    const other = createClient({ url, timeout: 100 });
    await other.execute("CREATE TABLE t (v TEXT)");
    const client = localClient(createClient({ url, timeout: 100 }), { name: "sync.db", waitMs: 0 }, ["PRAGMA synchronous = NORMAL"]);
    const synchronous = async (c: Pick<typeof client, "execute">) => Number((await c.execute("PRAGMA synchronous")).rows[0]![0]);
    // FULL (2) is SQLite's default: what a connection that missed the setting would say.
    expect(await synchronous(other)).toBe(2);
    await client.execute("PRAGMA synchronous = NORMAL"); // as cli/database.ts does when it opens the file
    expect(await synchronous(client)).toBe(1);
    const tx = await client.transaction("write");
    expect(await synchronous(tx)).toBe(1);
    await tx.commit();

    const held = await other.transaction("write");
    await held.execute("INSERT INTO t VALUES ('other')");
    await expect(client.execute("INSERT INTO t VALUES ('busy')")).rejects.toThrow(/is locked by another writer/);
    await held.commit();
    await client.execute("INSERT INTO t VALUES ('after')"); // on a new connection
    expect(await synchronous(client)).toBe(1);
    client.close();
    other.close();
  });
});
