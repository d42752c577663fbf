/**
 * Whether a local database file may have changed since the last look, in under a microsecond: the WAL-index
 * header at the start of the database's `-shm` file (https://www.sqlite.org/walformat.html, "The WAL-Index
 * Header"). Every commit, by any connection of any process — this process's pool (the API, the job workers), a
 * CLI crawl or `jobs cancel` in another process, a sqlite3 shell — rewrites it (a change counter, the frame count,
 * the salts, a checksum) before the commit returns; a checkpoint or a rollback does not. The header is kept twice
 * and written second copy first, so, as SQLite's own readers do, a read whose copies differ caught a writer
 * midway and says nothing. The data-version counters (`src/db/versions.ts`) are read again only when the header
 * moved: a list request costs one 96-byte read instead of a query (bench/api, CPU per cached answer under load:
 * 150 µs with a query through the driver, 50 to 60 µs with `PRAGMA data_version` on a connection of its own, 37 to
 * 40 µs with this read).
 *
 * A connection of its own stays open as long as the watch: SQLite deletes the -shm file (and the next opener makes
 * a new one) only when the last connection closes, and while this one is open no other is the last, even while
 * the pool reconnects after a busy error. `mark()` answers undefined ("cannot tell: read the database") when the
 * header cannot be read or is not one it knows; `changeWatch` answers undefined when there is no -shm file (a
 * database not in WAL mode).
 */
import Database from "libsql";
import { closeSync, openSync, readSync } from "node:fs";

export interface ChangeWatch {
  /** A number that differs from the one before after any commit by anyone; undefined: cannot tell now. */
  mark(): number | undefined;
  close(): void;
}

/** Two copies of the 48-byte header. */
const HEADER = 48;
/** `iVersion`, the header's first field, in the byte order of the machine that wrote it. */
const WAL_INDEX_VERSION = 3007000;

/** A watch over the database file at `path` (in WAL mode, opened by the caller), or undefined. */
export function changeWatch(path: string): ChangeWatch | undefined {
  const opened = openWatch(path);
  if (!opened) return undefined;
  const { keeper, fd } = opened;
  const read = new Uint8Array(2 * HEADER);
  const view = new DataView(read.buffer);
  const last = new Uint8Array(HEADER);
  let changes = 0;
  let open = true;
  return {
    mark() {
      try {
        if (!open || readSync(fd, read, 0, read.length, 0) !== read.length) return undefined;
      } catch {
        return undefined;
      }
      for (let i = 0; i < HEADER; i++) if (read[i] !== read[HEADER + i]) return undefined;
      const version = view.getUint32(0, true);
      if ((version !== WAL_INDEX_VERSION && view.getUint32(0, false) !== WAL_INDEX_VERSION) || read[12] !== 1) return undefined;
      for (let i = 0; i < HEADER; i++) {
        if (read[i] !== last[i]) {
          last.set(read.subarray(0, HEADER));
          changes++;
          break;
        }
      }
      return changes;
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
      keeper.close();
    },
  };
}

function openWatch(path: string): { keeper: Database.Database; fd: number } | undefined {
  let keeper: Database.Database | undefined;
  try {
    keeper = new Database(path, { timeout: 100 });
    // A read of the database maps the -shm file and takes the shared locks that keep it alive.
    keeper.prepare("SELECT count(*) FROM sqlite_master").get();
    return { keeper, fd: openSync(`${path}-shm`, "r") };
  } catch {
    keeper?.close();
    return undefined;
  }
}
