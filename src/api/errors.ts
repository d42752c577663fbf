/**
 * @module
 * Every error answer of the API has one shape, `{"error": {"code", "message", "issues": [{"path", "message"}]}}`,
 * and its status comes from the error's type: the core's typed errors, hono's HTTPException (malformed JSON, …),
 * and anything else as a 500 that says "internal error" and nothing more (the details go to the log). A typed
 * error wrapped by another (a database failure inside drizzle's "Failed query: <SQL> params: <values>") answers as
 * itself: a locked or read-only database is a 503 with its one line, never the SQL or its parameters.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { ConflictError, DscraperError, errorMessage, NotFoundError, typedCause, UnavailableError, ValidationError, type Issue } from "../errors.ts";
import { ImageStoreError } from "../images/errors.ts";
import type { ApiEnv } from "./deps.ts";

export const errorBodySchema = z.object({
  error: z.object({
    /** Machine-readable: `invalid_input`, `unauthorized`, `not_found`, `conflict`, `payload_too_large`, `rate_limited`, `internal`, … */
    code: z.string(),
    message: z.string(),
    /** One entry per bad field, its path in bracket form (`scrapers[0].elems[3].x_path`); empty otherwise. */
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});

export type ErrorBody = z.infer<typeof errorBodySchema>;

export function errorBody(code: string, message: string, issues: readonly Issue[] = []): ErrorBody {
  return { error: { code, message, issues: [...issues] } };
}

/** The answer for an error of a given status, in our shape. */
export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, issues: readonly Issue[] = [], headers?: Record<string, string>): Response {
  return c.json(errorBody(code, message, issues), status, headers);
}

const CODE_OF_STATUS: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "unavailable",
};

function statusOf(e: DscraperError): ContentfulStatusCode {
  if (e instanceof ValidationError) return 400;
  if (e instanceof NotFoundError) return 404;
  if (e instanceof ConflictError) return 409;
  if (e instanceof UnavailableError || e instanceof ImageStoreError) return 503;
  return 500;
}

export const onError: ErrorHandler<ApiEnv> = (err, c) => {
  // A typed error may arrive wrapped by the database driver and drizzle (a port that refused a round trip).
  const typed = typedCause(err);
  if (typed && statusOf(typed) !== 500) {
    return errorResponse(c, statusOf(typed), typed.code, typed.message, typed instanceof ValidationError ? typed.issues : []);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return errorResponse(c, status, CODE_OF_STATUS[status] ?? "bad_request", err.message || "bad request");
  }
  const { log, clock } = c.get("deps");
  log({
    time: clock.now().toISOString(),
    level: "ERROR",
    msg: `internal error: ${errorMessage(err)}`,
    request_id: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    ...(err instanceof Error && err.stack ? { stack: framesOf(err.stack) } : {}),
  });
  return errorResponse(c, 500, "internal", "internal error");
};

/** Where it was thrown, without the message lines above the frames (a failed query's SQL and parameters). */
function framesOf(stack: string): string {
  const at = stack.indexOf("\n    at ");
  return at < 0 ? "" : stack.slice(at + 1);
}

export const notFound: NotFoundHandler<ApiEnv> = (c) => errorResponse(c, 404, "not_found", `no route ${c.req.method} ${c.req.path}`);
