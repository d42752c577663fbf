/**
 * @module
 * A page type's request options (SPEC.md §1, §3) → the request to make, with `{page}`, `{follow_page}` and
 * `{attr}` placeholders filled in the URL, headers, cookies, body and form data.
 */
import { fill, fillRecord, type Vars } from "../extract/placeholders.ts";
import type { PageType } from "../model/page-type.ts";
import type { PageRequest } from "../fetch/fetcher.ts";

/** A page type that the crawl cannot honour (rather than silently ignore). */
export class UnsupportedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedRequestError";
  }
}

type RequestOptions = Pick<PageType, "page_type" | "method" | "request_type" | "headers" | "cookies" | "body" | "form_data" | "render_javascript">;

export function buildRequest(pageType: RequestOptions, url: string, vars: Vars): PageRequest {
  if (pageType.render_javascript) {
    throw new UnsupportedRequestError(`${pageType.page_type}: render_javascript is not supported (no JavaScript renderer is configured)`);
  }
  const headers = fillRecord(pageType.headers, vars);
  const cookies = Object.entries(fillRecord(pageType.cookies, vars));
  if (cookies.length) headers.Cookie = cookies.map(([k, v]) => `${k}=${v}`).join("; ");
  let target = fill(url, vars);
  let body: string | undefined = pageType.body ? fill(pageType.body, vars) : undefined;
  if (pageType.request_type === "form") {
    const form = new URLSearchParams(fillRecord(pageType.form_data, vars)).toString();
    // A GET form sends its fields in the query, as a browser (and Scrapy's FormRequest) does.
    if (pageType.method === "GET") target = form ? `${target}${target.includes("?") ? "&" : "?"}${form}` : target;
    else {
      body = form;
      headers["Content-Type"] ??= "application/x-www-form-urlencoded";
    }
  }
  return { method: pageType.method, url: target, headers, ...(body !== undefined ? { body } : {}) };
}

/** Two requests are the same request when method, URL and body are (SPEC.md §3: fetched once per run). */
export function requestKey(request: Pick<PageRequest, "method" | "url" | "body">): string {
  const body = request.body === undefined ? "" : typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body);
  return `${request.method} ${request.url}\n${body}`;
}
