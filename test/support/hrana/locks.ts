/**
 * @module
 * Lets streams avoid SQLITE_BUSY on writes instead of recovering from it. A statement of the
 * `libsql` module that fails with SQLITE_BUSY is left suspended (the module never resets it), and a
 * suspended writer keeps every later autocommit write on that connection from committing: they are
 * silently rolled back when the connection closes. So a stream runs a writing statement only right
 * after this probe saw the write lock free; everything is synchronous, so no other connection of
 * the process can take the lock in between.
 */
import Database from "libsql";

const SQLITE_BUSY = 5;

export class WriteLockProbe {
  readonly #db: Database.Database;

  constructor(dbPath: string) {
    this.#db = new Database(dbPath);
    this.#db.exec("PRAGMA busy_timeout = 0");
  }

  /** Whether no connection holds the database's write lock at this instant. */
  writeLockIsFree(): boolean {
    try {
      // exec() finalizes its statements even when they fail, unlike prepared statements.
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (e) {
      if (e instanceof Database.SqliteError && ((e as { rawCode?: number }).rawCode ?? 0) % 256 === SQLITE_BUSY) return false;
      throw e;
    }
    this.#db.exec("ROLLBACK");
    return true;
  }

  /**
   * A value that changes whenever another connection commits. A transaction that read the database
   * when this value was `v` has a stale snapshot once it is no longer `v`: its first write would
   * fail with SQLITE_BUSY_SNAPSHOT.
   */
  dataVersion(): number {
    const row = this.#db.prepare("PRAGMA data_version").raw(true).get() as [number];
    return row[0];
  }

  close(): void {
    this.#db.close();
  }
}
