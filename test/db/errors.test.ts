/**
 * Naming database failures (`db/errors.ts`) and telling them in one line (`errors.ts`): the drivers' errors as the
 * local file driver and the Hrana client (Turso) raise them, bare or wrapped by drizzle, never with the SQL or its
 * parameters.
 */
import { describe, expect, test } from "bun:test";
import { LibsqlError } from "@libsql/client";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { databaseError, DatabaseLockedError, DatabaseReadOnlyError, isBusy } from "../../src/db/errors.ts";
import { errorMessage, failureReason, UnavailableError, ValidationError } from "../../src/errors.ts";

const local = (code: string, message: string, extended?: string) => new LibsqlError(message, code, extended, undefined);
// The Hrana client reports the server's code and message: "SQLite error: …" from sqld and the test server.
const remote = (code: string, message: string) => new LibsqlError(`SQLite error: ${message}`, code);

describe("databaseError", () => {
  const cases: [string, unknown, unknown, string][] = [
    ["a busy local file", local("SQLITE_BUSY", "database is locked"), DatabaseLockedError, "database data/x.db is locked by another writer (waited 2.5 s)"],
    ["a stale snapshot", local("SQLITE_BUSY", "database is locked", "SQLITE_BUSY_SNAPSHOT"), DatabaseLockedError, "database data/x.db is locked by another writer (waited 2.5 s)"],
    ["a busy remote database", remote("SQLITE_BUSY", "database is locked"), DatabaseLockedError, "database data/x.db is locked by another writer (waited 2.5 s)"],
    [
      "a read-only local file",
      local("SQLITE_READONLY", "attempt to write a readonly database"),
      DatabaseReadOnlyError,
      "database data/x.db is read-only (dscraper needs to write to it: check the permissions of the file and its folder)",
    ],
    [
      "a read-only remote database",
      remote("SQLITE_READONLY", "attempt to write a readonly database"),
      DatabaseReadOnlyError,
      "database data/x.db is read-only (dscraper needs to write to it: check the permissions of the file and its folder)",
    ],
    ["a file that cannot be opened", local("SQLITE_CANTOPEN", "unable to open database file"), UnavailableError, "database data/x.db cannot be opened (unable to open database file)"],
    ["not a database", local("SQLITE_NOTADB", "file is not a database"), UnavailableError, "database data/x.db is damaged or not a database (file is not a database)"],
    ["a full disk", local("SQLITE_FULL", "database or disk is full"), UnavailableError, "database data/x.db: the disk is full"],
  ];
  test.each(cases)("%s", (_, driverError, type, message) => {
    const named = databaseError(driverError, "data/x.db", 2_500) as Error;
    expect(named).toBeInstanceOf(type as typeof Error);
    expect(named.message).toBe(message);
    expect(named.cause).toBe(driverError);
  });

  test("a constraint violation is a bug or a conflict, not the database's state: left as it is", () => {
    const unique = local("SQLITE_CONSTRAINT", "UNIQUE constraint failed: jobs.source_id");
    expect(databaseError(unique, "data/x.db", 0)).toBe(unique);
    expect(isBusy(unique)).toBe(false);
  });

  test("seconds waited: tenths below 10 s, whole seconds above", () => {
    expect(new DatabaseLockedError("d", 120).message).toEndWith("(waited 0.1 s)");
    expect(new DatabaseLockedError("d", 30_400).message).toEndWith("(waited 30 s)");
  });
});

describe("errorMessage: one line, never the SQL and its parameters", () => {
  const definition = JSON.stringify({ elems: Array.from({ length: 50 }, (_, i) => ({ attr: `a${i}`, x_path: `//div[${i}]` })) });
  const failedQuery = (cause: unknown) => new DrizzleQueryError('insert into "scrapers" ("name", "definition") values (?, ?)', ["news", definition], cause as Error);

  test("a named database failure wrapped by drizzle: its own words", () => {
    const wrapped = failedQuery(new DatabaseReadOnlyError("data/x.db"));
    expect(errorMessage(wrapped)).toBe("database data/x.db is read-only (dscraper needs to write to it: check the permissions of the file and its folder)");
    expect(failureReason(wrapped)).toBe(errorMessage(wrapped));
  });

  test("any other driver failure wrapped by drizzle: the driver's reason, an internal error", () => {
    const wrapped = failedQuery(local("SQLITE_CONSTRAINT", "UNIQUE constraint failed: scrapers.name"));
    expect(errorMessage(wrapped)).toBe("SQLITE_CONSTRAINT: UNIQUE constraint failed: scrapers.name");
    expect(failureReason(wrapped)).toBe("internal error: SQLITE_CONSTRAINT: UNIQUE constraint failed: scrapers.name");
    expect(failureReason(wrapped)).not.toContain("elems");
  });

  test("typed errors keep their message; others give their first line", () => {
    expect(errorMessage(new ValidationError([{ path: "a", message: "b" }]))).toBe("a: b");
    expect(errorMessage(new Error("first\nsecond"))).toBe("first");
    expect(errorMessage("plain")).toBe("plain");
  });
});
