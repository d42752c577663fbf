/**
 * The local database's change mark (cli/change-watch.ts), on real files with real processes: it stays while nobody
 * commits and moves after every commit, whoever makes it; the -shm file it reads outlives the other processes that
 * open and close the database; the data versions read through it follow every commit; without WAL there is none.
 */
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { changeWatch } from "../../cli/change-watch.ts";
import { dataVersions } from "../../src/db/versions.ts";
import { ROOT, runProcess } from "../support/cli.ts";
import { tempDatabase, tempDir } from "../support/temp.ts";

/** Runs `sql` in a process of its own (the native driver, as a sqlite3 shell would), to its end. */
async function inOtherProcess(path: string, sql: string): Promise<string> {
  const code = `const Database = require("libsql"); const db = new Database(${JSON.stringify(path)}); const st = db.prepare(${JSON.stringify(sql)}); const out = st.reader ? st.raw(true).all() : (st.run(), []); db.close(); console.log(JSON.stringify(out));`;
  const r = await runProcess([process.execPath, "-e", code], { cwd: ROOT });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

const bump = (kind: string) => `UPDATE data_versions SET version = version + 1 WHERE name = '${kind}' RETURNING version`;

describe("the change mark of a local database", () => {
  test("stays while nobody commits; moves after a commit of this process's pool, of another process, and after the WAL starts over", async () => {
    const database = await tempDatabase();
    const path = database.url.slice("file:".length);
    const marks = [database.changeMark!()];
    expect(marks[0]).toBeNumber();
    await database.client.execute("SELECT count(*) FROM items");
    await inOtherProcess(path, "SELECT count(*) FROM jobs");
    expect(database.changeMark!()).toBe(marks[0]!);

    await database.client.execute(bump("logs"));
    marks.push(database.changeMark!());
    expect(database.changeMark!()).toBe(marks[1]!);
    await inOtherProcess(path, bump("logs"));
    marks.push(database.changeMark!());
    // A checkpoint that empties the WAL, then a write that starts it over from its first frame.
    await inOtherProcess(path, "PRAGMA wal_checkpoint(TRUNCATE)");
    marks.push(database.changeMark!());
    await inOtherProcess(path, bump("logs"));
    marks.push(database.changeMark!());
    expect(new Set(marks).size).toBe(marks.length);
  });

  test("the -shm file it reads outlives the other processes that open, write and close the database", async () => {
    const database = await tempDatabase();
    const path = database.url.slice("file:".length);
    const shm = statSync(`${path}-shm`).ino;
    let mark = database.changeMark!();
    for (let i = 0; i < 3; i++) {
      await inOtherProcess(path, bump("items"));
      expect(statSync(`${path}-shm`).ino).toBe(shm);
      const next = database.changeMark!();
      expect(next).not.toBe(mark);
      mark = next;
    }
  });

  test("the data versions read through it are the database's after each commit, by anyone", async () => {
    const database = await tempDatabase();
    const path = database.url.slice("file:".length);
    const [start] = await dataVersions(database, ["items"]);
    expect(await dataVersions(database, ["items"])).toEqual([start!]);
    expect(JSON.parse(await inOtherProcess(path, bump("items")))).toEqual([[start! + 1]]);
    expect(await dataVersions(database, ["items"])).toEqual([start! + 1]);
    await database.client.execute(bump("items"));
    expect(await dataVersions(database, ["items", "jobs"])).toEqual([start! + 2, expect.any(Number)]);
  });

  test("a database not in WAL mode has no -shm file, hence no watch (its versions are then read every time)", async () => {
    const path = join(tempDir(), "rollback.db");
    expect(await inOtherProcess(path, "PRAGMA journal_mode")).toBe(JSON.stringify([["delete"]]));
    await inOtherProcess(path, "CREATE TABLE t (x)");
    expect(changeWatch(path)).toBeUndefined();
  });
});
