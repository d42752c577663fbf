/**
 * @module
 * What keeps scraped content inert on the admin's pages. hono/jsx escapes text and attribute values, so a title
 * with `<script>` shows as text; URLs are the rest: `safeHref` lets only absolute http(s) URLs become links (a
 * `javascript:` URL stays text). The Content-Security-Policy allows scripts, styles and images from this server
 * only — no inline script or style, no `eval` — and no framing.
 */
import type { MiddlewareHandler } from "hono";

export const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The URL when it is an absolute http(s) URL, else undefined (then it is shown as text, never as a link). */
export function safeHref(url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  try {
    const u = new URL(url.trim());
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The security headers of every admin answer (an answer may set its own CSP, as the images do). */
export const adminHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.res.headers.has("content-security-policy")) c.header("content-security-policy", ADMIN_CSP);
  c.header("x-content-type-options", "nosniff");
  c.header("x-frame-options", "DENY");
  c.header("referrer-policy", "no-referrer");
  c.header("cross-origin-opener-policy", "same-origin");
  if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
};
