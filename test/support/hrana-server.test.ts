/**
 * @module
 * Proves the Hrana test server with the real clients: `@libsql/client/web`, `@libsql/client` with an
 * `http:` URL, drizzle-orm over the web client, and `@libsql/hrana-client` for the protocol features
 * `@libsql/client` does not reach (v3 Protobuf, cursors, describe, stored SQL). Raw HTTP covers the
 * v3 JSON endpoints and baton rules.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient as createNodeClient } from "@libsql/client";
import { type Client, createClient, LibsqlBatchError, LibsqlError } from "@libsql/client/web";
import * as hrana from "@libsql/hrana-client";
import { eq } from "drizzle-orm";
import { TransactionRollbackError } from "drizzle-orm/errors";
import { drizzle } from "drizzle-orm/libsql/web";
import { blob, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { type HranaServer, HranaServerConfigError, type HranaServerOptions, startHranaServer } from "./hrana-server.ts";

/** A fresh database directory and server per test; clients opened through it are closed afterwards. */
function useServer(options: Omit<HranaServerOptions, "dbPath"> = {}) {
  let dir: string | undefined;
  let server: HranaServer | undefined;
  const closers: (() => unknown)[] = [];
  const ctx = {
    get dbPath(): string {
      if (dir === undefined) throw new Error("no test is running");
      return join(dir, "db.sqlite");
    },
    get server(): HranaServer {
      if (server === undefined) throw new Error("no test is running");
      return server;
    },
    /** Registers cleanup to run after the test, before the server stops. */
    onClose(close: () => unknown): void {
      closers.push(close);
    },
    client(config: { authToken?: string; intMode?: "number" | "bigint" | "string" } = {}): Client {
      const client = createClient({ url: ctx.server.url, ...config });
      closers.push(() => client.close());
      return client;
    },
    /** Stops the server and starts a new one on the same database file. */
    async restart(): Promise<void> {
      await ctx.server.close();
      server = await startHranaServer({ dbPath: ctx.dbPath, ...options });
    },
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "hrana-server-test-"));
    server = await startHranaServer({ dbPath: ctx.dbPath, ...options });
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    server = undefined;
    dir = undefined;
  });
  return ctx;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the promise to reject");
}

/** The messages of an error and its causes, outermost first (drizzle wraps driver errors). */
function messages(error: unknown): string[] {
  const out: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) out.push(e.message);
  return out;
}

async function count(client: Client, table: string): Promise<number> {
  const rs = await client.execute(`SELECT count(*) AS n FROM ${table}`);
  return Number(rs.rows[0]?.n);
}

async function postJson(url: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/${path}`, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

describe("@libsql/client/web", () => {
  const ctx = useServer();

  test("executes statements with positional and named arguments", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)");
    await client.execute({ sql: "INSERT INTO t (a, b) VALUES (?, ?)", args: ["pos", 1] });
    await client.execute({ sql: "INSERT INTO t (a, b) VALUES (?2, ?1)", args: [2, "numbered"] });
    await client.execute({ sql: "INSERT INTO t (a, b) VALUES (:a, :b)", args: { a: "colon", b: 3 } });
    await client.execute({ sql: "INSERT INTO t (a, b) VALUES (@a, $b)", args: { "@a": "mixed-prefix", $b: 4 } });
    await client.execute({ sql: "INSERT INTO t (a, b) VALUES (:a, :a)", args: { a: "5" } });

    const rs = await client.execute({ sql: "SELECT a, b FROM t WHERE b >= ? ORDER BY id", args: [1] });
    expect(rs.columns).toEqual(["a", "b"]);
    expect(rs.columnTypes).toEqual(["TEXT", "INTEGER"]);
    expect(rs.rows.map((r) => [r.a, r.b])).toEqual([
      ["pos", 1],
      ["numbered", 2],
      ["colon", 3],
      ["mixed-prefix", 4],
      ["5", 5],
    ]);
  });

  test("round-trips every value type, including large integers and blobs", async () => {
    const client = ctx.client({ intMode: "bigint" });
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const rs = await client.execute({
      sql: `SELECT ? AS i_max, ? AS i_min, ? AS i_unsafe, ? AS f, ? AS f_whole, ? AS t, ? AS t_empty,
                   ? AS b, ? AS b_empty, ? AS n, ? AS bool, typeof(?) AS whole_float_type, typeof(?) AS bigint_type`,
      args: [
        9223372036854775807n,
        -9223372036854775808n,
        9007199254740993n,
        -1.25e-300,
        2.0,
        "naïve ✓ 🚀 \"quotes\" \\ \n",
        "",
        bytes,
        new Uint8Array(0),
        null,
        true,
        3.0,
        3n,
      ],
    });
    const row = rs.rows[0];
    expect(row?.i_max).toBe(9223372036854775807n);
    expect(row?.i_min).toBe(-9223372036854775808n);
    expect(row?.i_unsafe).toBe(9007199254740993n);
    expect(row?.f).toBe(-1.25e-300);
    // A JS number travels as a float, so SQLite keeps it REAL even when it is whole.
    expect(row?.f_whole).toBe(2);
    expect(row?.whole_float_type).toBe("real");
    expect(row?.bigint_type).toBe("integer");
    expect(row?.t).toBe("naïve ✓ 🚀 \"quotes\" \\ \n");
    expect(row?.t_empty).toBe("");
    expect(new Uint8Array(row?.b as ArrayBuffer)).toEqual(bytes);
    expect((row?.b_empty as ArrayBuffer).byteLength).toBe(0);
    expect(row?.n).toBeNull();
    expect(row?.bool).toBe(1n);

    const special = await client.execute("SELECT 1e999 AS inf, -1e999 AS ninf, 0.0 / 0 AS nan, 0.1 + 0.2 AS sum");
    expect(special.rows[0]?.inf).toBe(Infinity);
    expect(special.rows[0]?.ninf).toBe(-Infinity);
    expect(special.rows[0]?.nan).toBeNull();
    expect(special.rows[0]?.sum).toBe(0.1 + 0.2);
  });

  test("reports rowsAffected and lastInsertRowid like sqld", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    const insert = await client.execute("INSERT INTO t (v) VALUES (1), (2), (3)");
    expect(insert.rowsAffected).toBe(3);
    expect(insert.lastInsertRowid).toBe(3n);
    const update = await client.execute("UPDATE t SET v = v * 10 WHERE v >= 2");
    expect(update.rowsAffected).toBe(2);
    const returning = await client.execute("DELETE FROM t WHERE v = 1 RETURNING id");
    expect(returning.rowsAffected).toBe(1);
    expect(returning.rows.map((r) => r.id)).toEqual([1]);
    // A read must not report the previous write's count.
    const select = await client.execute("SELECT * FROM t");
    expect(select.rowsAffected).toBe(0);
    expect(select.rows).toHaveLength(2);
    const ddl = await client.execute("CREATE TABLE u (x)");
    expect(ddl.rowsAffected).toBe(0);
  });

  test("batch in write mode commits every statement", async () => {
    const client = ctx.client();
    const results = await client.batch(
      [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE)",
        { sql: "INSERT INTO t (a) VALUES (?)", args: ["x"] },
        { sql: "INSERT INTO t (a) VALUES (:a)", args: { a: "y" } },
        "SELECT a FROM t ORDER BY id",
      ],
      "write",
    );
    expect(results).toHaveLength(4);
    expect(results[1]?.rowsAffected).toBe(1);
    expect(results[2]?.lastInsertRowid).toBe(2n);
    expect(results[3]?.rows.map((r) => r.a)).toEqual(["x", "y"]);
    expect(await count(client, "t")).toBe(2);
    expect(ctx.server.openStreams).toBe(0);
  });

  test("a failing statement rolls the whole batch back", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE)");
    await client.execute("INSERT INTO t (a) VALUES ('taken')");
    const error = await rejection(
      client.batch(
        [
          "INSERT INTO t (a) VALUES ('first')",
          "UPDATE t SET a = 'changed' WHERE a = 'taken'",
          "INSERT INTO t (a) VALUES ('changed')",
          "INSERT INTO t (a) VALUES ('never')",
        ],
        "write",
      ),
    );
    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect((error as LibsqlBatchError).statementIndex).toBe(2);
    expect((error as LibsqlBatchError).code).toBe("SQLITE_CONSTRAINT");
    expect(error.message).toContain("UNIQUE constraint failed: t.a");
    const rs = await client.execute("SELECT a FROM t");
    expect(rs.rows.map((r) => r.a)).toEqual(["taken"]);
  });

  test("batch in read and deferred modes", async () => {
    const client = ctx.client();
    await client.batch(["CREATE TABLE t (v)", "INSERT INTO t VALUES (1), (2)"], "write");
    const [sum, max] = await client.batch(["SELECT sum(v) AS s FROM t", "SELECT max(v) AS m FROM t"], "read");
    expect(sum?.rows[0]?.s).toBe(3);
    expect(max?.rows[0]?.m).toBe(2);
    const [, after] = await client.batch(["INSERT INTO t VALUES (3)", "SELECT count(*) AS n FROM t"], "deferred");
    expect(after?.rows[0]?.n).toBe(3);
  });

  test("an interactive write transaction is isolated until it commits", async () => {
    const client = ctx.client();
    const other = ctx.client();
    await client.execute("CREATE TABLE t (a TEXT)");
    const tx = await client.transaction("write");
    await tx.execute({ sql: "INSERT INTO t VALUES (?)", args: ["one"] });
    await tx.batch([{ sql: "INSERT INTO t VALUES (?)", args: ["two"] }, "INSERT INTO t VALUES ('three')"]);
    expect(await count(other, "t")).toBe(0);
    const inside = await tx.execute("SELECT count(*) AS n FROM t");
    expect(inside.rows[0]?.n).toBe(3);
    expect(ctx.server.openStreams).toBe(1);
    await tx.commit();
    expect(await count(other, "t")).toBe(3);
    expect(ctx.server.openStreams).toBe(0);
  });

  test("rollback discards the transaction's writes", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE t (a TEXT)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('gone')");
    await tx.rollback();
    expect(tx.closed).toBe(true);
    expect(await count(client, "t")).toBe(0);
    expect(ctx.server.openStreams).toBe(0);
  });

  test("a failed statement inside a transaction leaves the transaction usable", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE t (a TEXT UNIQUE)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('kept')");
    const error = await rejection(tx.execute("INSERT INTO t VALUES ('kept')"));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.message).toContain("UNIQUE constraint failed: t.a");
    await tx.execute("INSERT INTO t VALUES ('also kept')");
    await tx.commit();
    expect(await count(client, "t")).toBe(2);
  });

  test("a write waits for another stream's transaction instead of failing", async () => {
    const client = ctx.client();
    const other = ctx.client();
    await client.execute("CREATE TABLE t (a TEXT)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('first')");
    let settled = false;
    const waiting = other.execute("INSERT INTO t VALUES ('second')").finally(() => {
      settled = true;
    });
    await Bun.sleep(150);
    expect(settled).toBe(false);
    await tx.commit();
    await waiting;
    const rs = await client.execute("SELECT a FROM t ORDER BY rowid");
    expect(rs.rows.map((r) => r.a)).toEqual(["first", "second"]);
  });

  test("executeMultiple runs a script split the way SQLite splits it", async () => {
    const client = ctx.client();
    await client.executeMultiple(`
      CREATE TABLE log (msg TEXT); -- a comment; with a semicolon
      CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
      CREATE TRIGGER items_ins AFTER INSERT ON items BEGIN
        INSERT INTO log (msg) VALUES ('inserted; ' || NEW.name);
        UPDATE log SET msg = CASE WHEN msg IS NULL THEN 'none' ELSE msg END;
      END;
      /* block; comment */
      INSERT INTO items (name) VALUES ('a;b');;
      INSERT INTO "items" ("name") VALUES ('it''s');
    `);
    const rs = await client.execute("SELECT msg FROM log ORDER BY rowid");
    expect(rs.rows.map((r) => r.msg)).toEqual(["inserted; a;b", "inserted; it's"]);

    const error = await rejection(client.executeMultiple("INSERT INTO items (name) VALUES ('c'); SELEC 1; INSERT INTO items (name) VALUES ('d')"));
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error.message).toContain('near "SELEC": syntax error');
    // Like sqld, the statements before the failing one stay applied, the ones after never run.
    expect(await count(client, "items")).toBe(3);
  });

  test("migrate applies statements in one transaction with foreign keys off", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    await client.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))");
    const results = await client.migrate([
      "PRAGMA foreign_keys",
      // Rebuilding a referenced table is what needs foreign keys off.
      "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT)",
      "INSERT INTO parent_new (id) SELECT id FROM parent",
      "DROP TABLE parent",
      "ALTER TABLE parent_new RENAME TO parent",
    ]);
    expect(results[0]?.rows[0]?.foreign_keys).toBe(0);
    const cols = await client.execute("SELECT name FROM pragma_table_info('parent')");
    expect(cols.rows.map((r) => r.name)).toEqual(["id", "name"]);

    const failed = await rejection(client.migrate(["CREATE TABLE half (x)", "CREATE TABLE parent (x)"]));
    expect(failed.message).toContain("table parent already exists");
    const tables = await client.execute("SELECT name FROM sqlite_schema WHERE name = 'half'");
    expect(tables.rows).toHaveLength(0);
  });

  test("statement errors surface with SQLite's message and code", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL UNIQUE)");
    await client.execute("INSERT INTO t (a) VALUES ('x')");

    const unique = await rejection(client.execute("INSERT INTO t (a) VALUES ('x')"));
    expect(unique).toBeInstanceOf(LibsqlError);
    expect((unique as LibsqlError).code).toBe("SQLITE_CONSTRAINT");
    expect(unique.message).toBe("SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: t.a");

    const notNull = await rejection(client.execute("INSERT INTO t (a) VALUES (NULL)"));
    expect(notNull.message).toContain("NOT NULL constraint failed: t.a");

    const missing = await rejection(client.execute("SELECT * FROM nosuch"));
    expect((missing as LibsqlError).code).toBe("SQLITE_ERROR");
    expect(missing.message).toContain("no such table: nosuch");
  });

  test("rejects what sqld rejects: several statements, no statement, mismatched arguments", async () => {
    const client = ctx.client();
    const many = await rejection(client.execute("SELECT 1; SELECT 2"));
    expect((many as LibsqlError).code).toBe("SQL_MANY_STATEMENTS");
    const none = await rejection(client.execute("-- nothing here ;"));
    expect((none as LibsqlError).code).toBe("SQL_NO_STATEMENT");
    expect((await client.execute("SELECT 1 AS one; -- trailing comment")).rows[0]?.one).toBe(1);

    const tooFew = await rejection(client.execute({ sql: "SELECT ?, ?", args: [1] }));
    expect((tooFew as LibsqlError).code).toBe("ARGS_INVALID");
    expect(tooFew.message).toContain("value for parameter 2 not found");
    const tooMany = await rejection(client.execute({ sql: "SELECT ?", args: [1, 2] }));
    expect(tooMany.message).toContain("too many parameters, expected 1 found 2");
    const wrongName = await rejection(client.execute({ sql: "SELECT :a", args: { b: 1 } }));
    expect(wrongName.message).toContain("value for parameter :a not found");
  });
});

describe("@libsql/client with an http: URL", () => {
  const ctx = useServer();

  test("executes, batches and runs transactions over HTTP", async () => {
    const client = createNodeClient({ url: ctx.server.url });
    ctx.onClose(() => client.close());
    expect(client.protocol).toBe("http");
    await client.executeMultiple("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t (a) VALUES ('one');");
    const [inserted, all] = await client.batch([["INSERT INTO t (a) VALUES (?)", ["two"]], "SELECT a FROM t ORDER BY id"], "write");
    expect(inserted?.lastInsertRowid).toBe(2n);
    expect(all?.rows.map((r) => r.a)).toEqual(["one", "two"]);

    const tx = await client.transaction("write");
    await tx.execute({ sql: "UPDATE t SET a = upper(a) WHERE id = :id", args: { id: 1 } });
    await tx.commit();
    const rs = await client.execute({ sql: "SELECT a FROM t WHERE id = ?", args: [1] });
    expect(rs.rows[0]?.a).toBe("ONE");
  });
});

describe("drizzle-orm over @libsql/client/web", () => {
  const ctx = useServer();

  const users = sqliteTable("users", {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull().unique(),
    avatar: blob("avatar", { mode: "buffer" }),
    score: real("score"),
  });

  async function setup() {
    const client = ctx.client();
    await client.execute(
      "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, avatar BLOB, score REAL)",
    );
    return drizzle({ client });
  }

  test("inserts, selects and updates through the schema", async () => {
    const db = await setup();
    const [ada] = await db.insert(users).values({ name: "ada", avatar: Buffer.from([1, 2, 3]), score: 1.5 }).returning();
    expect(ada?.id).toBe(1);
    await db.insert(users).values([{ name: "bob" }, { name: "cy", score: 3 }]);
    await db.update(users).set({ score: 2.5 }).where(eq(users.name, "bob"));

    const rows = await db.select().from(users).orderBy(users.id);
    expect(rows.map((r) => [r.name, r.score])).toEqual([
      ["ada", 1.5],
      ["bob", 2.5],
      ["cy", 3],
    ]);
    expect([...new Uint8Array(rows[0]?.avatar ?? [])]).toEqual([1, 2, 3]);
    const [one] = await db.select({ name: users.name }).from(users).where(eq(users.id, 2));
    expect(one?.name).toBe("bob");
  });

  test("transactions commit, roll back, and nest with savepoints", async () => {
    const db = await setup();
    await db.transaction(async (tx) => {
      await tx.insert(users).values({ name: "committed" });
      await tx
        .transaction(async (nested) => {
          await nested.insert(users).values({ name: "nested-rolled-back" });
          nested.rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof TransactionRollbackError)) throw e;
        });
    });
    const rolledBack = await rejection(
      db.transaction(async (tx) => {
        await tx.insert(users).values({ name: "rolled-back" });
        tx.rollback();
      }),
    );
    expect(rolledBack).toBeInstanceOf(TransactionRollbackError);
    const names = (await db.select({ name: users.name }).from(users)).map((r) => r.name);
    expect(names).toEqual(["committed"]);
  });

  test("batch runs atomically and constraint errors reach the caller", async () => {
    const db = await setup();
    await db.batch([db.insert(users).values({ name: "a" }), db.insert(users).values({ name: "b" })]);
    const error = await rejection(db.insert(users).values({ name: "a" }));
    expect(messages(error).some((m) => m.includes("UNIQUE constraint failed: users.name"))).toBe(true);
    const failedBatch = await rejection(db.batch([db.insert(users).values({ name: "c" }), db.insert(users).values({ name: "b" })]));
    expect(messages(failedBatch).some((m) => m.includes("UNIQUE constraint failed"))).toBe(true);
    expect((await db.select().from(users)).map((r) => r.name)).toEqual(["a", "b"]);
  });
});

describe("bearer token", () => {
  const ctx = useServer({ authToken: "s3cret" });

  test("the right token is accepted", async () => {
    const client = ctx.client({ authToken: "s3cret" });
    const rs = await client.execute("SELECT 42 AS answer");
    expect(rs.rows[0]?.answer).toBe(42);
  });

  test("a missing or wrong token makes the client throw an HTTP 401 error", async () => {
    for (const authToken of [undefined, "wrong"]) {
      const client = ctx.client(authToken === undefined ? {} : { authToken });
      const error = await rejection(client.execute("SELECT 1"));
      expect(error).toBeInstanceOf(LibsqlError);
      expect((error as LibsqlError).code).toBe("SERVER_ERROR");
      expect(error.message).toContain("401");
    }
    // The version probes stay open: the client sends them without credentials.
    expect((await fetch(`${ctx.server.url}/v3-protobuf`)).status).toBe(200);
  });
});

describe("protocol details", () => {
  const ctx = useServer();

  async function table(): Promise<void> {
    await ctx.client().execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)");
  }

  test("hrana-client negotiates v3 Protobuf and runs cursors with is_autocommit conditions", async () => {
    await table();
    const client = hrana.openHttp(ctx.server.url, undefined, undefined, undefined, 3);
    ctx.onClose(() => client.close());
    client.intMode = "bigint";
    expect(await client.getVersion()).toBe(3);
    const stream = client.openStream();
    expect(await stream.getAutocommit()).toBe(true);
    await stream.run("BEGIN");
    expect(await stream.getAutocommit()).toBe(false);

    const batch = stream.batch(true);
    const values = batch.step().queryRow(["SELECT ?, ?, ?, ?, ?", [9007199254740993n, -1.25, "naïve ✓", new Uint8Array([0, 255]), null]]);
    const skipped = batch.step().condition(hrana.BatchCond.isAutocommit(batch)).run("SELECT 'skipped'");
    const failStep = batch.step();
    const failing = failStep.run("INSERT INTO nosuch VALUES (1)");
    failing.catch(() => undefined);
    const recovered = batch
      .step()
      .condition(hrana.BatchCond.and(batch, [hrana.BatchCond.error(failStep), hrana.BatchCond.not(hrana.BatchCond.isAutocommit(batch))]))
      .queryValue("SELECT 'recovered'");
    const inserted = batch.step().run(["INSERT INTO t (a) VALUES (?)", ["in-cursor"]]);
    await batch.execute();

    const row = (await values)?.row;
    expect([row?.[0], row?.[1], row?.[2], [...new Uint8Array(row?.[3] as ArrayBuffer)], row?.[4]]).toEqual([
      9007199254740993n,
      -1.25,
      "naïve ✓",
      [0, 255],
      null,
    ]);
    expect(await skipped).toBeUndefined();
    expect((await rejection(failing)).message).toBe("SQLite error: no such table: nosuch");
    expect((await recovered)?.value).toBe("recovered");
    expect((await inserted)?.affectedRowCount).toBe(1);

    await stream.run("ROLLBACK");
    expect(await stream.getAutocommit()).toBe(true);
    stream.close();
    expect(await count(ctx.client(), "t")).toBe(0);
  });

  for (const version of [2, 3] as const) {
    test(`describe and stored SQL texts work over v${version} (${version === 3 ? "Protobuf" : "JSON"})`, async () => {
      await table();
      const client = hrana.openHttp(ctx.server.url, undefined, undefined, undefined, version);
      ctx.onClose(() => client.close());
      expect(await client.getVersion()).toBe(version);
      const stream = client.openStream();

      const select = await stream.describe("SELECT ?, :a, ?5, @b, id, a FROM t WHERE id = $c");
      expect(select.paramNames).toEqual([undefined, ":a", undefined, undefined, "?5", "@b", "$c"]);
      expect(select.columns).toEqual([
        { name: "?", decltype: undefined },
        { name: ":a", decltype: undefined },
        { name: "?5", decltype: undefined },
        { name: "@b", decltype: undefined },
        { name: "id", decltype: "INTEGER" },
        { name: "a", decltype: "TEXT" },
      ]);
      expect([select.isExplain, select.isReadonly]).toEqual([false, true]);
      const insert = await stream.describe("INSERT INTO t (a) VALUES (:a)");
      expect([insert.paramNames, insert.columns, insert.isReadonly]).toEqual([[":a"], [], false]);
      const explain = await stream.describe("EXPLAIN QUERY PLAN SELECT * FROM t");
      expect([explain.isExplain, explain.isReadonly]).toEqual([true, true]);
      expect((await stream.describe("CREATE TABLE u (x)")).isReadonly).toBe(false);
      expect((await stream.describe("BEGIN")).isReadonly).toBe(true);
      expect((await rejection(stream.describe("SELEC 1"))).message).toBe('SQLite error: near "SELEC": syntax error');

      const sql = stream.storeSql("INSERT INTO t (a) VALUES (?)");
      await stream.run([sql, ["stored-1"]]);
      await stream.run([sql, ["stored-2"]]);
      sql.close();
      const rows = await stream.query("SELECT a FROM t ORDER BY id");
      expect(rows.rows.map((r) => r.a)).toEqual(["stored-1", "stored-2"]);
      stream.close();
    });
  }

  test("v3 JSON pipeline: get_autocommit, batch conditions, all value encodings", async () => {
    const { status, text } = await postJson(ctx.server.url, "v3/pipeline", {
      baton: null,
      requests: [
        { type: "get_autocommit" },
        { type: "execute", stmt: { sql: "BEGIN", want_rows: false } },
        { type: "get_autocommit" },
        {
          type: "batch",
          batch: {
            steps: [
              { stmt: { sql: "SELECT ?", args: [{ type: "integer", value: "-9223372036854775808" }] } },
              { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 'skipped'" } },
              {
                condition: { type: "and", conds: [{ type: "ok", step: 0 }, { type: "not", cond: { type: "is_autocommit" } }] },
                stmt: {
                  sql: "SELECT :b AS b, :f AS f, :n AS n, :t AS t, 1e999 AS inf",
                  named_args: [
                    { name: ":b", value: { type: "blob", base64: "AP8=" } },
                    { name: "f", value: { type: "float", value: 0.5 } },
                    { name: "n", value: { type: "null" } },
                    { name: "t", value: { type: "text", value: "é" } },
                  ],
                },
              },
              { stmt: { sql: "SELECT * FROM nosuch" } },
              { condition: { type: "or", conds: [{ type: "error", step: 3 }, { type: "ok", step: 1 }] }, stmt: { sql: "SELECT 'ran'" } },
            ],
          },
        },
        { type: "execute", stmt: { sql: "ROLLBACK" } },
        { type: "close" },
      ],
    });
    expect(status).toBe(200);
    expect(text).toContain('{"type":"float","value":1e999}');
    const body = JSON.parse(text);
    expect(body.baton).toBeNull();
    expect(body.results.map((r: { type: string }) => r.type)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);
    expect(body.results[0].response).toEqual({ type: "get_autocommit", is_autocommit: true });
    expect(body.results[2].response).toEqual({ type: "get_autocommit", is_autocommit: false });
    const batch = body.results[3].response.result;
    expect(batch.step_results[0].rows).toEqual([[{ type: "integer", value: "-9223372036854775808" }]]);
    expect([batch.step_results[1], batch.step_errors[1]]).toEqual([null, null]);
    expect(batch.step_results[2].cols).toEqual([
      { name: "b", decltype: null },
      { name: "f", decltype: null },
      { name: "n", decltype: null },
      { name: "t", decltype: null },
      { name: "inf", decltype: null },
    ]);
    expect(batch.step_results[2].rows).toEqual([
      [
        { type: "blob", base64: "AP8=" },
        { type: "float", value: 0.5 },
        { type: "null" },
        { type: "text", value: "é" },
        { type: "float", value: Infinity },
      ],
    ]);
    expect(batch.step_errors[3]).toEqual({ message: "SQLite error: no such table: nosuch", code: "SQLITE_ERROR" });
    expect(batch.step_results[4].rows).toEqual([[{ type: "text", value: "ran" }]]);
    // A malformed step fails the whole batch before anything runs, as in sqld.
    expect(ctx.server.openStreams).toBe(0);
    const mixed = await postJson(ctx.server.url, "v3/pipeline", {
      requests: [{ type: "batch", batch: { steps: [{ stmt: { sql: "SELECT ?", args: [{ type: "null" }], named_args: [{ name: "a", value: { type: "null" } }] } }] } }],
    });
    expect(JSON.parse(mixed.text).results[0]).toEqual({
      type: "error",
      error: { message: "Specifying both positional and named arguments is not supported", code: "ARGS_BOTH_POSITIONAL_AND_NAMED" },
    });
  });

  test("v3 JSON cursor streams newline-delimited entries and keeps the stream", async () => {
    await table();
    const { status, text } = await postJson(ctx.server.url, "v3/cursor", {
      baton: null,
      batch: {
        steps: [
          { stmt: { sql: "INSERT INTO t (a) VALUES ('x'), ('y')" } },
          { stmt: { sql: "SELECT a FROM t ORDER BY id" } },
          { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 1/0 FROM nosuch" } },
        ],
      },
    });
    expect(status).toBe(200);
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    const [head, ...entries] = lines.map((l) => JSON.parse(l));
    expect(typeof head.baton).toBe("string");
    expect(entries).toEqual([
      { type: "step_begin", step: 0, cols: [] },
      { type: "step_end", affected_row_count: 2, last_insert_rowid: "2" },
      { type: "step_begin", step: 1, cols: [{ name: "a", decltype: "TEXT" }] },
      { type: "row", row: [{ type: "text", value: "x" }] },
      { type: "row", row: [{ type: "text", value: "y" }] },
      { type: "step_end", affected_row_count: 0, last_insert_rowid: "2" },
      { type: "step_error", step: 2, error: { message: "SQLite error: no such table: nosuch", code: "SQLITE_ERROR" } },
    ]);
    expect(ctx.server.openStreams).toBe(1);
    const closed = await postJson(ctx.server.url, "v3/pipeline", { baton: head.baton, requests: [{ type: "close" }] });
    expect(JSON.parse(closed.text)).toEqual({ baton: null, base_url: null, results: [{ type: "ok", response: { type: "close" } }] });
    expect(ctx.server.openStreams).toBe(0);
  });

  test("v2 refuses v3-only features with HTTP 400", async () => {
    const autocommit = await postJson(ctx.server.url, "v2/pipeline", { requests: [{ type: "get_autocommit" }] });
    expect(autocommit.status).toBe(400);
    const cond = await postJson(ctx.server.url, "v2/pipeline", {
      requests: [{ type: "batch", batch: { steps: [{ condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 1" } }] } }],
    });
    expect(cond.status).toBe(400);
    expect((await postJson(ctx.server.url, "v2/cursor", { batch: { steps: [] } })).status).toBe(404);
    expect((await fetch(`${ctx.server.url}/v2`)).status).toBe(200);
    expect(ctx.server.openStreams).toBe(0);
  });

  test("batons are single-use, unforgeable, and die with their stream", async () => {
    const url = ctx.server.url;
    const first = JSON.parse((await postJson(url, "v2/pipeline", { requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] })).text);
    const second = JSON.parse((await postJson(url, "v2/pipeline", { baton: first.baton, requests: [] })).text);
    expect(second.baton).not.toBe(first.baton);

    const replay = await postJson(url, "v2/pipeline", { baton: first.baton, requests: [] });
    expect([replay.status, replay.text]).toEqual([400, "Received a baton that has already been used"]);
    const forged = await postJson(url, "v2/pipeline", { baton: `${first.baton.slice(0, -2)}AA`, requests: [] });
    expect([forged.status, forged.text]).toEqual([400, "Received an invalid baton"]);

    const closed = JSON.parse((await postJson(url, "v2/pipeline", { baton: second.baton, requests: [{ type: "close" }] })).text);
    expect(closed.baton).toBeNull();
    const afterClose = await postJson(url, "v2/pipeline", { baton: second.baton, requests: [] });
    expect(afterClose.status).toBe(400);

    const unknown = await postJson(url, "v2/pipeline", { requests: [{ type: "frobnicate" }] });
    expect(unknown.status).toBe(400);
    expect((await postJson(url, "v2/pipeline", "not an object")).status).toBe(400);
    expect(ctx.server.openStreams).toBe(0);
  });

  test("closing the server rolls back open transactions", async () => {
    await table();
    const client = ctx.client();
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t (a) VALUES ('uncommitted')");
    expect(ctx.server.openStreams).toBe(1);
    await ctx.restart();
    expect(await count(ctx.client(), "t")).toBe(0);
  });

  test("rejects a database that streams cannot share", async () => {
    await expect(startHranaServer({ dbPath: ":memory:" })).rejects.toBeInstanceOf(HranaServerConfigError);
  });
});

describe("lock waits, with a busy timeout no test could wait out", () => {
  // Ten minutes: a request that waited for the busy timeout would make its test time out instead of passing.
  const ctx = useServer({ busyTimeoutMs: 10 * 60_000 });

  test("lock waits leave streams healthy, and a stale snapshot is refused at once, without writing", async () => {
    await ctx.client().execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)");
    const holder = await ctx.client().transaction("write");
    await holder.execute("INSERT INTO t (a) VALUES ('holder')");

    const client = hrana.openHttp(ctx.server.url);
    ctx.onClose(() => client.close());
    const waiter = client.openStream();
    const waited = waiter.run("INSERT INTO t (a) VALUES ('waited')");
    const deferred = client.openStream();
    await deferred.run("BEGIN DEFERRED");
    const deferredInsert = deferred.run("INSERT INTO t (a) VALUES ('deferred, no snapshot yet')");
    const stale = client.openStream();
    await stale.run("BEGIN DEFERRED");
    expect((await stale.queryValue("SELECT count(*) FROM t"))?.value).toBe(0);

    await holder.commit();
    // The waiter and the deferred transaction race for the lock; either may win. The deferred one keeps it until
    // its COMMIT, so the waiter is awaited only after that (awaiting it first deadlocked whenever the deferred
    // transaction won: the flake, under load, until the 5 s busy timeout failed the waiter).
    await deferredInsert;
    await deferred.run("COMMIT");
    await waited;
    // The same connection's later autocommit writes must still commit.
    await waiter.run("INSERT INTO t (a) VALUES ('after the wait')");

    // Another writer holds the lock while the stale transaction tries to write: waiting could not help it (its
    // snapshot is already older than a commit), and with a ten-minute busy timeout waiting would time the test out.
    const blocker = await ctx.client().transaction("write");
    await blocker.execute("INSERT INTO t (a) VALUES ('blocker')");
    const refused = await rejection(stale.run("INSERT INTO t (a) VALUES ('stale')"));
    expect(refused.message).toBe("SQLite error: database is locked");
    await blocker.commit();
    await stale.run("ROLLBACK");
    await stale.run("INSERT INTO t (a) VALUES ('after the refusal')");

    const rs = await ctx.client().execute("SELECT a FROM t");
    expect(rs.rows.map((r) => r.a).sort()).toEqual(
      ["after the refusal", "after the wait", "blocker", "deferred, no snapshot yet", "holder", "waited"].sort(),
    );
    for (const stream of [waiter, deferred, stale]) stream.close();
  });
});

describe("stream expiry", () => {
  const ctx = useServer({ streamIdleTimeoutMs: 200 });

  test("an idle stream expires and its transaction is rolled back", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE t (a TEXT)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('abandoned')");
    expect(ctx.server.openStreams).toBe(1);
    await Bun.sleep(600);
    expect(ctx.server.openStreams).toBe(0);
    const error = await rejection(tx.commit());
    expect((error as LibsqlError).code).toBe("STREAM_EXPIRED");
    expect(await count(client, "t")).toBe(0);
  });

});

describe("lock waits", () => {
  const ctx = useServer({ busyTimeoutMs: 300 });

  test("a statement gives up with SQLITE_BUSY after busyTimeoutMs", async () => {
    const client = ctx.client();
    await client.execute("CREATE TABLE t (a TEXT)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('holding the lock')");
    // That a blocked statement waits (and goes on once the lock is free) is shown above; here, that it gives up.
    const error = await rejection(ctx.client().execute("INSERT INTO t VALUES ('blocked')"));
    expect((error as LibsqlError).code).toBe("SQLITE_BUSY");
    expect(error.message).toContain("database is locked");
    await tx.rollback();
  });
});
