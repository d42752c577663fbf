/**
 * @module
 * A Hrana stream: one dedicated `libsql` connection to the database file plus the SQL texts stored
 * on it, executing stream requests with sqld's semantics. Because each stream owns its connection,
 * an interactive transaction spread over several HTTP requests really is isolated and atomic, and
 * closing (or expiring) the stream rolls it back.
 *
 * Locking: the `libsql` module is synchronous, so waiting inside SQLite (busy_timeout) would block
 * the event loop and with it the stream holding the lock. busy_timeout is 0 and a statement that
 * needs the write lock waits asynchronously, polling a {@link WriteLockProbe}, and runs as soon as
 * the lock is free (see ./locks.ts for why it must not simply fail and retry).
 */
import Database from "libsql";
import { HranaProtocolError, HranaRequestError, HranaStreamError } from "./errors.ts";
import type { WriteLockProbe } from "./locks.ts";
import type {
  Batch,
  BatchCond,
  BatchResult,
  Col,
  CursorEntry,
  DescribeResult,
  ProtoError,
  ProtocolVersion,
  Stmt,
  StmtResult,
  StreamRequest,
  StreamResponse,
  StreamResult,
  Value,
} from "./proto.ts";
import { type SqlStatement, splitStatements } from "./sql-text.ts";

/** Limits of sqld (libsql-server/src/hrana/http/request.rs), which the client's SQL cache respects. */
const MAX_STORED_SQL_COUNT = 50;
const MAX_STORED_SQL_BYTES = 5 * 1024;

const SQLITE_BUSY = 5;
const SQLITE_BUSY_SNAPSHOT = 517;
const BUSY_RETRY_MS = 5;

/** Base result codes, for the `code` of statement errors (sqld reports the base code, e.g. SQLITE_CONSTRAINT). */
const SQLITE_CODE_NAMES: Readonly<Record<number, string>> = {
  1: "SQLITE_ERROR",
  2: "SQLITE_INTERNAL",
  3: "SQLITE_PERM",
  4: "SQLITE_ABORT",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  7: "SQLITE_NOMEM",
  8: "SQLITE_READONLY",
  9: "SQLITE_INTERRUPT",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  12: "SQLITE_NOTFOUND",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  15: "SQLITE_PROTOCOL",
  16: "SQLITE_EMPTY",
  17: "SQLITE_SCHEMA",
  18: "SQLITE_TOOBIG",
  19: "SQLITE_CONSTRAINT",
  20: "SQLITE_MISMATCH",
  21: "SQLITE_MISUSE",
  22: "SQLITE_NOLFS",
  23: "SQLITE_AUTH",
  24: "SQLITE_FORMAT",
  25: "SQLITE_RANGE",
  26: "SQLITE_NOTADB",
};

/** A statement whose SQL is resolved and checked, ready to run. */
interface PreparedStmt {
  sql: string;
  statement: SqlStatement;
  args: Value[];
  namedArgs: Stmt["namedArgs"];
  wantRows: boolean;
}

/** What a statement's bytecode says about its locking, as SQLite itself decides it. */
interface ProgramInfo {
  /** sqlite3_stmt_readonly(): no write transaction on any database, no vacuum/checkpoint/journal-mode change. */
  readonly: boolean;
  /** Reads or writes a database file other connections share (not `temp`): takes a snapshot. */
  usesShared: boolean;
  /** Needs the write lock of a shared database file. */
  writesShared: boolean;
}

/** Receives the outcome of each batch step in order; skipped steps are not reported. */
interface BatchSink {
  result(step: number, result: StmtResult): void;
  error(step: number, error: ProtoError): void;
}

type StepOutcome = "ok" | "error" | "skipped";

export interface StreamOptions {
  dbPath: string;
  busyTimeoutMs: number;
  probe: WriteLockProbe;
}

const TEMP_DB = 1;
const PROGRAM_CACHE_SIZE = 256;

export class HranaStream {
  readonly #db: Database.Database;
  readonly #sqls = new Map<number, string>();
  readonly #programs = new Map<string, ProgramInfo>();
  readonly #busyTimeoutMs: number;
  readonly #probe: WriteLockProbe;
  #closed = false;
  /** This connection's transaction holds the write lock (it wrote, or began IMMEDIATE/EXCLUSIVE). */
  #holdsWriteLock = false;
  /** {@link WriteLockProbe.dataVersion} when this connection's transaction took its read snapshot. */
  #snapshotVersion: number | undefined;

  constructor(options: StreamOptions) {
    this.#busyTimeoutMs = options.busyTimeoutMs;
    this.#probe = options.probe;
    this.#db = new Database(options.dbPath);
    this.#db.exec("PRAGMA busy_timeout = 0");
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection; SQLite rolls back a transaction left open. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /**
   * Runs one request of a pipeline. Statement-level failures come back as an error result; protocol
   * violations throw {@link HranaProtocolError}, which fails the whole HTTP request.
   */
  async handle(request: StreamRequest, version: ProtocolVersion): Promise<StreamResult> {
    if (this.#closed) throw new HranaProtocolError("Stream for this baton was closed");
    try {
      return { type: "ok", response: await this.#respond(request, version) };
    } catch (e) {
      if (e instanceof HranaRequestError) return { type: "error", error: e.toProto() };
      throw e;
    }
  }

  async #respond(request: StreamRequest, version: ProtocolVersion): Promise<StreamResponse> {
    switch (request.type) {
      case "close":
        this.close();
        return { type: "close" };
      case "execute": {
        const stmt = this.#prepareStmt(request.stmt);
        return { type: "execute", result: await this.#execute(stmt) };
      }
      case "batch": {
        const count = request.batch.steps.length;
        const result: BatchResult = {
          stepResults: Array.from({ length: count }, () => undefined),
          stepErrors: Array.from({ length: count }, () => undefined),
        };
        await this.runBatch(request.batch, version, {
          result: (step, r) => (result.stepResults[step] = r),
          error: (step, e) => (result.stepErrors[step] = e),
        });
        return { type: "batch", result };
      }
      case "sequence":
        await this.#sequence(this.#resolveSql(request.sql, request.sqlId));
        return { type: "sequence" };
      case "describe":
        return { type: "describe", result: this.#describe(this.#resolveSql(request.sql, request.sqlId)) };
      case "store_sql":
        this.#storeSql(request.sqlId, request.sql);
        return { type: "store_sql" };
      case "close_sql":
        this.#sqls.delete(request.sqlId);
        return { type: "close_sql" };
      case "get_autocommit":
        if (version < 3) {
          throw new HranaProtocolError("The `get_autocommit` request is only supported in protocol version hrana3 and higher");
        }
        return { type: "get_autocommit", isAutocommit: this.isAutocommit };
    }
  }

  get isAutocommit(): boolean {
    return !this.#db.inTransaction;
  }

  /**
   * Runs a batch, reporting each executed step to `sink`. Problems that prevent the whole batch
   * from running (a step's SQL is not exactly one statement, …) throw {@link HranaRequestError}
   * before any step runs, as in sqld.
   */
  async runBatch(batch: Batch, version: ProtocolVersion, sink: BatchSink): Promise<void> {
    if (this.#closed) throw new HranaProtocolError("Stream for this baton was closed");
    batch.steps.forEach((step, i) => {
      if (step.condition !== undefined) checkCondition(step.condition, i, version);
    });
    const stmts = batch.steps.map((step) => this.#prepareStmt(step.stmt));
    const outcomes: StepOutcome[] = [];
    for (const [i, stmt] of stmts.entries()) {
      const condition = batch.steps[i]?.condition;
      if (condition !== undefined && !this.#evaluate(condition, outcomes)) {
        outcomes.push("skipped");
        continue;
      }
      try {
        sink.result(i, await this.#execute(stmt));
        outcomes.push("ok");
      } catch (e) {
        if (!(e instanceof HranaRequestError)) throw e;
        sink.error(i, e.toProto());
        outcomes.push("error");
      }
    }
  }

  /** Runs a batch for a cursor: the same execution, reported as cursor entries. */
  async cursorEntries(batch: Batch, version: ProtocolVersion): Promise<CursorEntry[]> {
    const entries: CursorEntry[] = [];
    try {
      await this.runBatch(batch, version, {
        result(step, r) {
          entries.push({ type: "step_begin", step, cols: r.cols });
          for (const row of r.rows) entries.push({ type: "row", row });
          entries.push({ type: "step_end", affectedRowCount: r.affectedRowCount, lastInsertRowid: r.lastInsertRowid });
        },
        error(step, error) {
          entries.push({ type: "step_error", step, error });
        },
      });
    } catch (e) {
      if (!(e instanceof HranaRequestError)) throw e;
      entries.push({ type: "error", error: e.toProto() });
    }
    return entries;
  }

  #evaluate(cond: BatchCond, outcomes: readonly StepOutcome[]): boolean {
    switch (cond.type) {
      case "ok":
        return outcomes[cond.step] === "ok";
      case "error":
        return outcomes[cond.step] === "error";
      case "not":
        return !this.#evaluate(cond.cond, outcomes);
      case "and":
        return cond.conds.every((c) => this.#evaluate(c, outcomes));
      case "or":
        return cond.conds.some((c) => this.#evaluate(c, outcomes));
      case "is_autocommit":
        return this.isAutocommit;
    }
  }

  #resolveSql(sql: string | undefined, sqlId: number | undefined): string {
    if (sql !== undefined && sqlId !== undefined) throw new HranaProtocolError("Either `sql` or `sql_id` are required, but not both");
    if (sql !== undefined) return sql;
    if (sqlId === undefined) throw new HranaProtocolError("Either `sql` or `sql_id` are required");
    const stored = this.#sqls.get(sqlId);
    if (stored === undefined) throw new HranaProtocolError(`SQL text ${sqlId} not found`);
    return stored;
  }

  #storeSql(sqlId: number, sql: string): void {
    if (this.#sqls.has(sqlId)) throw new HranaProtocolError(`SQL text ${sqlId} already exists`);
    if (this.#sqls.size >= MAX_STORED_SQL_COUNT) {
      throw new HranaRequestError(
        `The server already stores ${this.#sqls.size} SQL texts, it cannot store more`,
        "SQL_STORE_TOO_MANY",
      );
    }
    const bytes = new TextEncoder().encode(sql).byteLength;
    if (bytes > MAX_STORED_SQL_BYTES) {
      throw new HranaRequestError(
        `The statement is too large to be stored: ${bytes} B/${MAX_STORED_SQL_BYTES} B`,
        "SQL_STORE_TOO_LARGE",
      );
    }
    this.#sqls.set(sqlId, sql);
  }

  #prepareStmt(stmt: Stmt): PreparedStmt {
    const sql = this.#resolveSql(stmt.sql, stmt.sqlId);
    const statement = singleStatement(sql);
    if (stmt.args.length > 0 && stmt.namedArgs.length > 0) {
      throw new HranaRequestError(
        "Specifying both positional and named arguments is not supported",
        "ARGS_BOTH_POSITIONAL_AND_NAMED",
      );
    }
    return { sql, statement, args: stmt.args, namedArgs: stmt.namedArgs, wantRows: stmt.wantRows };
  }

  async #execute(stmt: PreparedStmt): Promise<StmtResult> {
    const bound = bindArguments(stmt);
    const info = this.#programInfo(stmt.statement);
    if (info.writesShared && !this.#holdsWriteLock) await this.#waitForWriteLock();
    // From here to the first attempt nothing awaits, so the lock seen free is still free.
    const deadline = Date.now() + this.#busyTimeoutMs;
    let executed = false;
    // Retries reuse the statement: libsql resets it before running, while a new one would leave
    // the failed one suspended.
    let prepared: Database.Statement | undefined;
    try {
      for (;;) {
        try {
          prepared ??= this.#db.prepare(stmt.sql);
          executed = true;
          return this.#run(prepared, bound, stmt.wantRows);
        } catch (e) {
          if (!isBusy(e)) throw toRequestError(e);
          executed = false;
          if ((e as SqliteErrorLike).rawCode === SQLITE_BUSY_SNAPSHOT || Date.now() >= deadline) {
            if (info.writesShared) {
              // Another process took the lock despite the probe. The suspended writer would keep
              // this connection's later writes from committing, so the stream must go.
              throw new HranaStreamError(`SQLite error: ${(e as Error).message}`, "SQLITE_BUSY");
            }
            throw toRequestError(e);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
        if (this.#closed) throw new HranaStreamError("The stream was closed while waiting for a lock", "STREAM_CLOSED");
      }
    } finally {
      if (!this.#closed) this.#trackTransaction(info, executed);
    }
  }

  /** Runs a prepared statement to completion and reads what sqld reports about it. */
  #run(prepared: Database.Statement, bound: unknown[], wantRows: boolean): StmtResult {
    const totalBefore = this.#scalar("SELECT total_changes()");
    prepared.safeIntegers(true);
    let cols: Col[] = [];
    let rows: Value[][] = [];
    if (prepared.reader) {
      prepared.raw(true);
      cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? undefined }));
      // Rows are read even when not wanted: stepping to the end is what runs the statement.
      const all = prepared.all(bound) as unknown[][];
      if (wantRows) rows = all.map((row) => row.map(valueFromSqlite));
    } else {
      prepared.run(bound);
    }
    // changes() keeps the count of the last INSERT/UPDATE/DELETE, which may be an earlier
    // statement's; total_changes() moving tells that this statement changed rows.
    const [changes, lastInsertRowid, totalAfter] = this.#db
      .prepare("SELECT changes(), last_insert_rowid(), total_changes()")
      .safeIntegers(true)
      .raw(true)
      .get() as [bigint, bigint, bigint];
    return { cols, rows, affectedRowCount: totalAfter !== totalBefore ? Number(changes) : 0, lastInsertRowid };
  }

  /**
   * Waits until the write lock is free. Fails like SQLite would, but without running the statement,
   * when the wait times out or when this connection's transaction read a snapshot that another
   * connection's commit has made stale (SQLite: SQLITE_BUSY_SNAPSHOT; waiting cannot help).
   */
  async #waitForWriteLock(): Promise<void> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (;;) {
      if (this.#snapshotVersion !== undefined && this.#probe.dataVersion() !== this.#snapshotVersion) {
        throw new HranaRequestError("SQLite error: database is locked", "SQLITE_BUSY");
      }
      if (this.#probe.writeLockIsFree()) return;
      if (Date.now() >= deadline) throw new HranaRequestError("SQLite error: database is locked", "SQLITE_BUSY");
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
      if (this.#closed) throw new HranaStreamError("The stream was closed while waiting for a lock", "STREAM_CLOSED");
    }
  }

  /** Updates what this connection's transaction holds after a statement ran (or failed to). */
  #trackTransaction(info: ProgramInfo, executed: boolean): void {
    if (!this.#db.inTransaction) {
      this.#holdsWriteLock = false;
      this.#snapshotVersion = undefined;
      return;
    }
    if (!executed) return;
    // A statement that got past prepare took its locks first thing (OP_Transaction), even if it then failed.
    if (info.writesShared) this.#holdsWriteLock = true;
    if (info.usesShared && this.#snapshotVersion === undefined) this.#snapshotVersion = this.#probe.dataVersion();
  }

  /**
   * Reads the statement's bytecode through EXPLAIN, which `libsql` allows on any statement. The
   * rules are those of resolveP2Values() in SQLite's vdbeaux.c. A statement that does not compile
   * gets a harmless answer: preparing it for real reports the error.
   */
  #programInfo(statement: SqlStatement): ProgramInfo {
    if (statement.isExplain) return { readonly: true, usesShared: false, writesShared: false };
    const cached = this.#programs.get(statement.text);
    if (cached !== undefined) return cached;
    let program: unknown[][];
    try {
      const explain = this.#db.prepare(`EXPLAIN ${statement.text}`).raw(true);
      program = explain.all() as unknown[][];
      // An EXPLAIN read to the end is not reset by libsql, and until it is, SQLite counts it as
      // a running writer if the explained statement writes: no later autocommit write on this
      // connection would commit. get() resets the statement after reading its first row.
      explain.get();
    } catch {
      return { readonly: true, usesShared: false, writesShared: false };
    }
    const info: ProgramInfo = { readonly: true, usesShared: false, writesShared: false };
    for (const [, opcode, p1, p2] of program) {
      if (opcode === "Transaction") {
        const shared = p1 !== TEMP_DB;
        if (shared) info.usesShared = true;
        if (p2 !== 0) {
          info.readonly = false;
          if (shared) info.writesShared = true;
        }
      } else if (opcode === "Vacuum" || opcode === "JournalMode" || opcode === "Checkpoint") {
        info.readonly = false;
        info.usesShared = true;
        info.writesShared = true;
      }
    }
    if (this.#programs.size >= PROGRAM_CACHE_SIZE) this.#programs.clear();
    this.#programs.set(statement.text, info);
    return info;
  }

  async #sequence(sql: string): Promise<void> {
    for (const statement of splitStatements(sql)) {
      await this.#execute({ sql: statement.text, statement, args: [], namedArgs: [], wantRows: false });
    }
  }

  #describe(sql: string): DescribeResult {
    const statement = singleStatement(sql);
    return this.#sqlite(() => {
      const prepared = this.#db.prepare(sql);
      const cols = prepared.reader ? prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? undefined })) : [];
      return {
        params: statement.params.map((name) => ({ name: name ?? undefined })),
        cols,
        isExplain: statement.isExplain,
        isReadonly: this.#programInfo(statement).readonly,
      };
    });
  }

  #scalar(sql: string): bigint {
    const row = this.#db.prepare(sql).safeIntegers(true).raw(true).get() as [bigint];
    return row[0];
  }

  /** Runs SQLite work, turning SQLite errors into statement errors. */
  #sqlite<T>(work: () => T): T {
    try {
      return work();
    } catch (e) {
      throw toRequestError(e);
    }
  }
}

function checkCondition(cond: BatchCond, stepIndex: number, version: ProtocolVersion): void {
  switch (cond.type) {
    case "ok":
    case "error":
      if (cond.step >= stepIndex) throw new HranaProtocolError("Invalid reference to step in a batch condition");
      return;
    case "not":
      return checkCondition(cond.cond, stepIndex, version);
    case "and":
    case "or":
      for (const c of cond.conds) checkCondition(c, stepIndex, version);
      return;
    case "is_autocommit":
      if (version < 3) {
        throw new HranaProtocolError("BatchCond of type `is_autocommit` is only supported in protocol version hrana3 and higher");
      }
      return;
  }
}

function singleStatement(sql: string): SqlStatement {
  const statements = splitStatements(sql);
  const [first] = statements;
  if (first === undefined) throw new HranaRequestError("SQL string does not contain any statement", "SQL_NO_STATEMENT");
  if (statements.length > 1) throw new HranaRequestError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
  return first;
}

/**
 * The values to bind by position, matched to the statement's parameters the way sqld does
 * (libsql-server/src/query.rs): positional arguments bind parameters by index; named arguments
 * bind by name, with or without the `:`/`@`/`$` prefix. Every parameter needs a value.
 */
function bindArguments(stmt: PreparedStmt): unknown[] {
  const params = stmt.statement.params;
  const given = stmt.namedArgs.length > 0 ? stmt.namedArgs.length : stmt.args.length;
  if (given > params.length) {
    throw argsInvalid(`too many parameters, expected ${params.length} found ${given}`);
  }
  const named = new Map(stmt.namedArgs.map((a) => [a.name, a.value]));
  return params.map((name, i) => {
    let value: Value | undefined;
    if (stmt.namedArgs.length === 0) {
      value = stmt.args[i];
    } else if (name !== null && !name.startsWith("?")) {
      value = named.get(name) ?? named.get(name.slice(1));
    }
    if (value === undefined) throw argsInvalid(`value for parameter ${name ?? i + 1} not found`);
    return valueToSqlite(value);
  });
}

function argsInvalid(detail: string): HranaRequestError {
  return new HranaRequestError(`Arguments do not match SQL parameters: ${detail}`, "ARGS_INVALID");
}

function valueToSqlite(value: Value): unknown {
  // libsql binds Buffers as blobs; any other Uint8Array view is copied into one.
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

function valueFromSqlite(value: unknown): Value {
  if (value === null || typeof value === "bigint" || typeof value === "number" || typeof value === "string") return value;
  if (value instanceof Uint8Array) return value;
  throw new HranaStreamError(`Unexpected value from SQLite: ${typeof value}`, "INTERNAL_ERROR");
}

interface SqliteErrorLike {
  message: string;
  code: string;
  rawCode?: number;
}

function isSqliteError(e: unknown): e is SqliteErrorLike {
  return e instanceof Database.SqliteError;
}

function isBusy(e: unknown): boolean {
  return isSqliteError(e) && e.rawCode !== undefined && (e.rawCode & 0xff) === SQLITE_BUSY;
}

/** SQLite errors become statement errors worded as sqld words them ("SQLite error: …", base code). */
function toRequestError(e: unknown): unknown {
  if (!isSqliteError(e)) return e;
  const base = e.rawCode === undefined ? undefined : e.rawCode & 0xff;
  const code = base === undefined ? e.code : (SQLITE_CODE_NAMES[base] ?? "SQLITE_UNKNOWN");
  return new HranaRequestError(`SQLite error: ${e.message}`, code);
}
