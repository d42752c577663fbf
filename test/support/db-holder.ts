/**
 * A second process holding a database's write lock, as another writer (a big import, a sqlite3 shell left in a
 * transaction) would: `bun test/support/db-holder.ts DB_PATH`, then on stdin `hold` (BEGIN IMMEDIATE and a write;
 * answers `held`) and `release` (COMMIT; answers `released`). Used through {@link startHolder}.
 */
import Database from "libsql";
import { createInterface } from "node:readline";
import { join } from "node:path";

if (import.meta.main) {
  const db = new Database(process.argv[2]!);
  // The lock may be taken by the process under test at this instant: wait for it as any writer would.
  db.exec("PRAGMA busy_timeout = 60000");
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "hold") {
      db.exec("BEGIN IMMEDIATE");
      db.exec("CREATE TABLE IF NOT EXISTS holder_writes (at INTEGER)");
      db.exec("INSERT INTO holder_writes VALUES (1)");
      console.log("held");
    } else if (line === "release") {
      db.exec("COMMIT");
      console.log("released");
    }
  }
  db.close();
}

export interface Holder {
  /** Takes the write lock; resolves once it is held. */
  hold(): Promise<void>;
  /** Commits; resolves once the lock is free. */
  release(): Promise<void>;
  stop(): Promise<void>;
}

export function startHolder(dbPath: string): Holder {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "db-holder.ts"), dbPath], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const answer = async (expected: string): Promise<void> => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line !== expected) throw new Error(`db-holder answered '${line}', not '${expected}'`);
        return;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`db-holder ended before answering '${expected}'`);
      buffered += decoder.decode(value, { stream: true });
    }
  };
  const say = async (command: string, expected: string) => {
    proc.stdin.write(`${command}\n`);
    await proc.stdin.flush();
    await answer(expected);
  };
  return {
    hold: () => say("hold", "held"),
    release: () => say("release", "released"),
    async stop() {
      await proc.stdin.end();
      await proc.exited;
    },
  };
}
