/**
 * @module
 * Redirects, followed by hand (`redirect: "manual"`) so that every hop goes through robots.txt, the host's turn
 * and the retry policy like any request: where the next hop goes, what the request becomes on the way, and when
 * to stop.
 */
import { RedirectError } from "./errors.ts";
import { tryUrl } from "./target.ts";

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 10;

/** Headers that describe a body, dropped when a redirect turns the request into a GET without one. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/** Credentials for one origin must not reach another through a redirect (Fetch standard, §4.4). */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** A request on its way through redirects; `follow` changes it in place for the next hop. */
export interface Hop {
  url: URL;
  method: string;
  headers: Headers;
  body: string | Uint8Array | undefined;
}

/** Follows one redirect of `hop` (answered `status` with `location`); throws RedirectError where following must stop. */
export class RedirectTrail {
  private seen: Set<string> | undefined;

  constructor(private readonly requested: string) {}

  follow(hop: Hop, status: number, location: string | null, redirects: number): void {
    const from = hop.url;
    if (location === null) throw new RedirectError(from.href, `${from.href}: HTTP ${status} redirect without a Location header`);
    const next = tryUrl(location, from);
    if (next === null) throw new RedirectError(from.href, `${from.href}: HTTP ${status} redirect to an invalid URL: ${location}`);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new RedirectError(from.href, `${from.href}: redirect to ${next.protocol} URL ${next.href} refused (only http and https are followed)`);
    }
    if (redirects === MAX_REDIRECTS) throw new RedirectError(from.href, `${this.requested}: more than ${MAX_REDIRECTS} redirects`);
    this.seen ??= new Set([`${hop.method} ${from.href}`]);
    if (status === 303 || ((status === 301 || status === 302) && hop.method === "POST")) {
      hop.method = "GET";
      hop.body = undefined;
      for (const name of BODY_HEADERS) hop.headers.delete(name);
    }
    // Credentials the server puts in a Location are not ours to send; ours travel in the Authorization header.
    next.username = "";
    next.password = "";
    next.hash = "";
    if (next.origin !== from.origin) for (const name of CREDENTIAL_HEADERS) hop.headers.delete(name);
    const key = `${hop.method} ${next.href}`;
    if (this.seen.has(key)) throw new RedirectError(from.href, `${this.requested}: redirect loop (${next.href} again)`);
    this.seen.add(key);
    hop.url = next;
  }
}
