/**
 * @module
 * One structured line per request, written when the answer is ready: method, path, status, duration and the
 * request id (also sent back as `X-Request-Id`, so a user's report can be matched with the line).
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./deps.ts";

export const accessLog: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const { clock, log } = c.get("deps");
  const started = clock.now().getTime();
  await next();
  const ended = clock.now();
  log({
    time: ended.toISOString(),
    level: c.res.status >= 500 ? "ERROR" : "INFO",
    msg: "request",
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    duration_ms: ended.getTime() - started,
    request_id: c.get("requestId"),
  });
};
