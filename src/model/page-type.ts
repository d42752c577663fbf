/**
 * @module
 * A request page type (DDS `RequestPageType`): how the main page (MP), follow pages (FP) and each detail page
 * (DP1…DP25) are requested and parsed.
 */
import { z } from "zod";
import { nameSchema } from "./common.ts";

export const PAGE_TYPE_PATTERN = /^(?:MP|FP|DP(?:[1-9]|1\d|2[0-5]))$/;
export const pageTypeCodeSchema = z.string().regex(PAGE_TYPE_PATTERN, "must be MP, FP or DP1 … DP25");
export const contentTypeSchema = z.enum(["HTML", "XML", "JSON"]);
export type ContentType = z.infer<typeof contentTypeSchema>;

/** An XML namespace prefix (an NCName: a name without colons). */
const NCNAME = /^[\p{L}_][\p{L}\p{N}_.\-\u00B7\u0300-\u036F\u203F-\u2040]*$/u;

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a valid HTTP header name");
const headerValue = z.string().regex(/^[^\r\n\0]*$/, "must not contain line breaks");

export const pageTypeSchema = z.strictObject({
  page_type: pageTypeCodeSchema,
  /** DPn only: the DETAIL_PAGE_URL attr whose URL this page type requests. */
  attr: nameSchema.optional(),
  content_type: contentTypeSchema.default("HTML"),
  /**
   * Prefix → namespace URI for XPath on this page, for documents with a default namespace (Atom, sitemaps:
   * `{"atom": "http://www.w3.org/2005/Atom"}` makes `//atom:entry` work). Prefixes the document declares itself
   * (`dc:creator`) need no entry; an entry wins over the document's own declaration.
   */
  namespaces: z.record(z.string().regex(NCNAME, "must be a namespace prefix: a letter or _ followed by letters, digits, _, - or ."), z.string().min(1, "must be a namespace URI, not empty")).default({}),
  /** Accepted for DDS compatibility; a run refuses it unless a renderer is configured. */
  render_javascript: z.boolean().default(false),
  /** `form` sends `form_data` url-encoded (DDS FormRequest). */
  request_type: z.enum(["plain", "form"]).default("plain"),
  method: z.enum(["GET", "POST"]).default("GET"),
  headers: z.record(headerName, headerValue).default({}),
  cookies: z.record(z.string().regex(/^[^\s;=\p{Cc}\p{Bidi_Control}]+$/u, "must be a cookie name without spaces, ';', '=' or control characters"), headerValue).default({}),
  form_data: z.record(z.string(), z.string()).default({}),
  body: z.string().default(""),
  /** Fetch even when the same request was already made in this run. */
  dont_filter: z.boolean().default(false),
  comments: z.string().default(""),
});

export type PageType = z.infer<typeof pageTypeSchema>;
export type PageTypeCode = string;
