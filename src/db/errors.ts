/**
 * @module
 * The database's failures a user can act on, named in one line: another writer holds the lock, the database is
 * read-only, it cannot be opened. The drivers say `SQLITE_BUSY: database is locked` (local file) or
 * `SQLITE_BUSY: SQLite error: database is locked` (Hrana/Turso), and drizzle wraps either in `Failed query: <SQL>
 * params: <every value>` — a definition's whole JSON for an import. These errors carry the driver's error as
 * their cause and never the SQL or its parameters.
 */
import { UnavailableError } from "../errors.ts";

/** Another connection holds the write lock, and waiting for it did not help. */
export class DatabaseLockedError extends UnavailableError {
  constructor(
    readonly database: string,
    readonly waitedMs: number,
    options?: ErrorOptions,
  ) {
    super(`database ${database} is locked by another writer (waited ${seconds(waitedMs)} s)`, options);
    this.name = "DatabaseLockedError";
  }
}

/** The database refuses writes: a read-only file or folder, a read-only mount, a read-only token. */
export class DatabaseReadOnlyError extends UnavailableError {
  constructor(
    readonly database: string,
    options?: ErrorOptions,
  ) {
    super(`database ${database} is read-only (dscraper needs to write to it: check the permissions of the file and its folder)`, options);
    this.name = "DatabaseReadOnlyError";
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? (Math.round(ms / 100) / 10).toString() : Math.round(ms / 1000).toString();
}

/** The driver's error code (`SQLITE_BUSY`, `SQLITE_READONLY_DBMOVED`, …) of `e` or of an error it wraps. */
export function sqliteCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; typeof c === "object" && c !== null && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    const { code, extendedCode } = c as { code?: unknown; extendedCode?: unknown };
    if (typeof extendedCode === "string" && extendedCode.startsWith("SQLITE_")) return extendedCode;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return code;
  }
  return undefined;
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, …): another connection holds a lock. */
export function isBusy(e: unknown): boolean {
  return sqliteCode(e)?.startsWith("SQLITE_BUSY") === true;
}

/**
 * The error a user should see for a driver failure of `database` (its path or URL): a lock that is still held
 * after `waitedMs`, a read-only database, a database that cannot be opened; anything else is returned as it is.
 */
export function databaseError(e: unknown, database: string, waitedMs: number): unknown {
  if (e instanceof UnavailableError) return e;
  const code = sqliteCode(e);
  if (code?.startsWith("SQLITE_BUSY")) return new DatabaseLockedError(database, waitedMs, { cause: e });
  if (code?.startsWith("SQLITE_READONLY") || code === "SQLITE_PERM") return new DatabaseReadOnlyError(database, { cause: e });
  if (code?.startsWith("SQLITE_CANTOPEN")) return new UnavailableError(`database ${database} cannot be opened (${driverReason(e)})`, { cause: e });
  if (code === "SQLITE_FULL") return new UnavailableError(`database ${database}: the disk is full`, { cause: e });
  if (code?.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return new UnavailableError(`database ${database} is damaged or not a database (${driverReason(e)})`, { cause: e });
  if (code?.startsWith("SQLITE_IOERR")) return new UnavailableError(`database ${database}: input/output error (${driverReason(e)})`, { cause: e });
  return e;
}

/** The driver's own words without its code prefix: "unable to open database file". */
function driverReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/^SQLITE_[A-Z_]+: /, "").replace(/^SQLite error: /, "").split("\n")[0]!;
}
