/**
 * @module
 * A token bucket per caller: `rate` requests per second, bursts of up to `burst`; beyond, 429 with `Retry-After`
 * (whole seconds). Callers with the token share its bucket; the others are told apart by their address. Time comes
 * from the injected clock, so tests drive it. In the Worker each isolate keeps its own buckets: a best effort.
 */
import type { MiddlewareHandler } from "hono";
import type { Clock } from "../ports.ts";
import type { ApiEnv } from "./deps.ts";
import { errorResponse } from "./errors.ts";

export interface BucketOptions {
  rate: number;
  burst: number;
  clock: Clock;
  /** Buckets kept; the least recently used goes first (a flood of addresses cannot grow memory without bound). */
  maxKeys?: number;
}

export function rateLimit({ rate, burst, clock, maxKeys = 10_000 }: BucketOptions): MiddlewareHandler<ApiEnv> {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return async (c, next) => {
    if (rate <= 0) return next();
    const key = c.get("authorized") ? "token" : `ip:${c.env?.ip ?? "unknown"}`;
    const now = clock.now().getTime();
    const bucket = buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rate);
    bucket.at = now;
    // Re-inserted: a Map iterates in insertion order, so its first key is the least recently used.
    buckets.delete(key);
    buckets.set(key, bucket);
    if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    if (bucket.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
      return errorResponse(c, 429, "rate_limited", `more than ${rate} requests/s (bursts of ${burst}): try again in ${wait} s`, [], { "Retry-After": String(wait) });
    }
    bucket.tokens -= 1;
    return next();
  };
}
