/**
 * @module
 * What every `GET` list shares: `page`/`per_page` (per_page capped), and an ETag made of the data-version counters
 * the list depends on (bumped by triggers on every write, whatever process writes). `If-None-Match` with the
 * current ETag is answered 304 after that one small read, before any query; otherwise a page rendered for the same
 * URL at the same versions is served from a small cache, and only a miss queries.
 */
import type { Context, TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";
import { z } from "zod";
import { dataVersions, type DataKind } from "../db/versions.ts";
import { VERSION } from "../version.ts";
import type { ApiEnv } from "./deps.ts";

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 500;

export const pageQuerySchema = z.object({
  page: z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be at least 1").default(1),
  /** Larger values are served as MAX_PER_PAGE (the answer's `per_page` says so). */
  per_page: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .default(DEFAULT_PER_PAGE)
    .transform((n) => Math.min(n, MAX_PER_PAGE))
    .describe(`at most ${MAX_PER_PAGE} are served (the answer's per_page says how many)`),
});

export const pageFields = { page: z.number(), per_page: z.number(), total: z.number() };

export const idParamSchema = z.object({ id: z.coerce.number().int("must be a whole number").positive("must be a positive id") });

/** `?cascade=true`: a delete takes what depends on the definition (its items and their image files) along. */
export const cascadeQuerySchema = z.object({
  cascade: z
    .enum(["true", "false"], "must be true or false")
    .default("false")
    .transform((s) => s === "true"),
});

/** Rendered list pages by URL, with the ETag they were rendered at; least recently used out first. */
export class PageCache {
  private readonly pages = new Map<string, { etag: string; body: string }>();
  private bytes = 0;

  constructor(
    private readonly maxPages = 256,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {}

  get(key: string, etag: string): string | undefined {
    const hit = this.pages.get(key);
    if (!hit || hit.etag !== etag) return undefined;
    this.pages.delete(key);
    this.pages.set(key, hit);
    return hit.body;
  }

  set(key: string, etag: string, body: string): void {
    this.drop(key);
    if (body.length > this.maxBytes / 4) return;
    this.pages.set(key, { etag, body });
    this.bytes += body.length;
    while (this.pages.size > this.maxPages || this.bytes > this.maxBytes) this.drop(this.pages.keys().next().value!);
  }

  private drop(key: string): void {
    const old = this.pages.get(key);
    if (!old) return;
    this.bytes -= old.body.length;
    this.pages.delete(key);
  }
}

/** `If-None-Match` holds `etag` (or `*`); weak validators compare equal to strong ones (RFC 9110 §13.1.2). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}

type ListResponse<T> = (Response & TypedResponse<JSONParsed<T>, 200, "json">) | (Response & TypedResponse<null, 304, "body">);

/** A list answer validated by the versions of `kinds`: 304, a cached page, or `render()`'s value. */
export async function versionedList<T>(c: Context<ApiEnv>, kinds: readonly DataKind[], render: () => Promise<T>): Promise<ListResponse<T>> {
  const versions = await dataVersions(c.get("deps").database, kinds);
  const etag = `"${VERSION}-${versions.join(".")}"`;
  const headers = { etag, "cache-control": "private, no-cache" };
  // The typed client reads the answer's type from here; the body is the JSON of render()'s value.
  const answer = (status: 200 | 304, text: string | null): ListResponse<T> => c.newResponse(text, status, status === 200 ? { ...headers, "content-type": "application/json" } : headers) as ListResponse<T>;
  if (matches(c.req.header("if-none-match"), etag)) return answer(304, null);
  // The raw path and query: the same text asks for the same page (parsing the URL again cost 4% of a cached answer).
  const url = c.req.url;
  const key = `${c.req.method} ${url.slice(url.indexOf("/", url.indexOf("//") + 2))}`;
  let body = c.get("pages").get(key, etag);
  if (body === undefined) {
    body = JSON.stringify(await render());
    c.get("pages").set(key, etag, body);
  }
  return answer(200, body);
}
