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
