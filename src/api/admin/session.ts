/**
 * @module
 * The admin page's sessions and form tokens. A session is a signed cookie (HMAC-SHA256 over Web Crypto, hono's
 * signed cookies): a random id, whether it signed in with the API token, and when it ends. It is HttpOnly,
 * SameSite=Strict, Secure when the page is served over https, and lasts {@link SESSION_HOURS} hours.
 *
 * The signing key is derived from the API token, so sessions hold across restarts and across the Worker's
 * isolates, and changing the token ends them all. Without a token (the binary on loopback) the admin is open, as
 * the API is; a key is drawn at random per process then, and sessions only carry the form tokens.
 *
 * Forms are protected three ways (research §2: SameSite=Strict alone does not separate two ports of 127.0.0.1):
 * the browser's `Origin` must be this server's (hono/csrf), the cookie is SameSite=Strict, and every form carries
 * a token derived from the session id, checked on every POST.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getSignedCookie, setSignedCookie } from "hono/cookie";
import { constantTimeEqual } from "../auth.ts";
import type { ApiEnv } from "../deps.ts";

export const SESSION_COOKIE = "dscraper_session";
export const SESSION_HOURS = 12;
/** The hidden field every admin form carries. */
export const CSRF_FIELD = "_csrf";

export interface Session {
  id: string;
  /** Signed in with the API token (always true when none is configured: the admin is open). */
  signedIn: boolean;
  /** The token of this session's forms. */
  csrf: string;
}

const encoder = new TextEncoder();

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return base64url(bytes);
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function hmac(key: string, message: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(message))));
}

export class AdminSessions {
  private secret: Promise<string> | undefined;

  constructor(
    /** `DSCRAPER_API_TOKEN`; undefined: the admin is open. */
    private readonly token: string | undefined,
    private readonly now: () => Date,
  ) {}

  /** Whether signing in is needed (a token is configured). */
  get open(): boolean {
    return this.token === undefined;
  }

  private key(): Promise<string> {
    this.secret ??= this.token === undefined ? Promise.resolve(randomId() + randomId()) : hmac(this.token, "dscraper admin session v1");
    return this.secret;
  }

  /** Whether `presented` is the API token (in constant time). */
  isToken(presented: string): boolean {
    return this.token !== undefined && constantTimeEqual(presented, this.token);
  }

  /** The request's session, or undefined when it has none that is valid and current. */
  async read(c: Context): Promise<Session | undefined> {
    const cookie = await getSignedCookie(c, await this.key(), SESSION_COOKIE);
    if (typeof cookie !== "string") return undefined;
    const m = /^([A-Za-z0-9_-]{16,64})\.([01])\.(\d{1,15})$/.exec(cookie);
    if (!m || Number(m[3]) * 1000 <= this.now().getTime()) return undefined;
    return { id: m[1]!, signedIn: this.open || m[2] === "1", csrf: await this.formToken(m[1]!) };
  }

  /** Starts a new session (a new id: signing in never keeps the id a visitor had before). */
  async start(c: Context, signedIn: boolean): Promise<Session> {
    const id = randomId();
    const expires = Math.floor(this.now().getTime() / 1000) + SESSION_HOURS * 3600;
    await setSignedCookie(c, SESSION_COOKIE, `${id}.${signedIn ? 1 : 0}.${expires}`, await this.key(), {
      httpOnly: true,
      sameSite: "Strict",
      secure: new URL(c.req.url).protocol === "https:",
      path: "/",
      maxAge: SESSION_HOURS * 3600,
    });
    return { id, signedIn: this.open || signedIn, csrf: await this.formToken(id) };
  }

  private async formToken(sessionId: string): Promise<string> {
    return hmac(await this.key(), `csrf:${sessionId}`);
  }

  /** Whether a form's token belongs to `session`. */
  checkFormToken(session: Session, presented: unknown): boolean {
    return typeof presented === "string" && constantTimeEqual(presented, session.csrf);
  }
}

/**
 * The admin's session on the API's reads (INTERFACE.md: the token "or the admin page's session cookie"): a
 * signed-in session makes `GET`/`HEAD` of `/api/…` authorized, so the admin page can link to the exports.
 * Writes still need the bearer token: a cookie rides along on requests from other ports of the same host.
 */
export function sessionReads(sessions: AdminSessions): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!c.get("authorized") && (c.req.method === "GET" || c.req.method === "HEAD") && c.req.path.startsWith("/api/")) {
      if ((await sessions.read(c))?.signedIn) c.set("authorized", true);
    }
    await next();
  };
}
