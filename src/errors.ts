/**
 * @module
 * The typed errors of the core. Callers decide what happens next from the type (exit code, HTTP status),
 * never from the message text.
 */

/** One problem with an input, located by its path in bracket form: `scrapers[0].elems[3].x_path`. */
export interface Issue {
  path: string;
  message: string;
}

export abstract class DscraperError extends Error {
  abstract readonly code: string;
}

/** Input that does not describe a valid definition or request (CLI exit 2, HTTP 400). */
export class ValidationError extends DscraperError {
  readonly code = "invalid_input";
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "));
    this.name = "ValidationError";
  }
}

/** A named or numbered thing that does not exist (CLI exit 2, HTTP 404). */
export class NotFoundError extends DscraperError {
  readonly code = "not_found";
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/** The request is valid but the state forbids it now, e.g. a run of that source is going on (CLI exit 1, HTTP 409). */
export class ConflictError extends DscraperError {
  readonly code = "conflict";
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

/**
 * A run's write was refused because the job is no longer its own: declared dead while it was only slow (its lease
 * lapsed and a successor may be running). The run writes nothing more and stops at its next heartbeat.
 */
export class LeaseLostError extends DscraperError {
  readonly code = "lease_lost";
  constructor(jobId: number) {
    super(`job ${jobId} is no longer this run's (its lease was lost): nothing more is written`);
    this.name = "LeaseLostError";
  }
}

/** Something dscraper depends on (the database, a remote server) cannot be reached or refused us (CLI exit 1, HTTP 503). */
export class UnavailableError extends DscraperError {
  readonly code = "unavailable";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnavailableError";
  }
}

/** `["scrapers", 0, "elems", 3, "x_path"]` → `scrapers[0].elems[3].x_path`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/**
 * What to tell a user about `e`, in one line: the message of the first typed error it wraps (a database failure
 * wrapped by drizzle's "Failed query"), or its own message — but never a failed query's SQL and parameters (a
 * definition's whole JSON), only the driver's reason.
 */
export function errorMessage(e: unknown): string {
  const typed = typedCause(e);
  if (typed) return typed.message;
  let c: unknown = e;
  // drizzle's DrizzleQueryError: `Failed query: <SQL>\nparams: <values>`, the driver's error as its cause.
  while (c instanceof Error && "query" in c && "params" in c && c.cause !== undefined) c = c.cause;
  const message = c instanceof Error ? c.message : String(c);
  return message.split("\n")[0]!;
}

/** The first DscraperError among `e` and the errors it wraps (its `cause` chain). */
export function typedCause(e: unknown): DscraperError | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    if (c instanceof DscraperError) return c;
  }
  return undefined;
}

/** Why a run failed, for its job row and log: a typed error's own words, else "internal error: …" (one line). */
export function failureReason(e: unknown): string {
  return typedCause(e) ? errorMessage(e) : `internal error: ${errorMessage(e)}`;
}
