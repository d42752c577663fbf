/**
 * @module
 * A fetched page as something to extract from: its content type decided (SPEC.md §2), its bytes decoded with the
 * right charset, and parsed — HTML and XML with linkedom, JSON with JSON.parse.
 */
import { DOMParser } from "linkedom";
import type { ContentType } from "../model/page-type.ts";
import "./dom-fixes.ts";
import { assignHtmlPrefixes, assignXmlNames } from "./xml-namespaces.ts";

export type Page =
  | { readonly kind: "HTML" | "XML"; readonly url: string; readonly document: Node }
  | { readonly kind: "JSON"; readonly url: string; readonly data: unknown };

/** The page is not of a kind its page type can read (a PDF, an image, HTML where JSON was expected…). */
export class ContentTypeError extends Error {
  constructor(
    readonly contentType: string,
    readonly expected: ContentType,
  ) {
    super(`content type ${contentType} is not ${expected} (the page type's content_type)`);
    this.name = "ContentTypeError";
  }
}

/** A JSON page that does not parse; HTML and XML always yield a document (what can be read of it). */
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParseError";
  }
}

/**
 * The body of a page whose Content-Type defers to the page type is not text (a PDF or an image served as
 * `application/octet-stream`, or with no header at all): parsed as HTML it would yield nothing, silently.
 */
export class NotTextError extends Error {
  constructor(
    readonly contentType: string,
    reason: string,
  ) {
    super(`${contentType ? `content type ${contentType}` : "no content type"}: the body is not text (${reason}), so it cannot be read as the page type's content_type`);
    this.name = "NotTextError";
  }
}

const DEFERS = new Set(["", "text/plain", "application/octet-stream"]);

/** What the response's Content-Type says the page is, checked against what the page type expects. */
export function pageKind(contentTypeHeader: string | null, expected: ContentType): ContentType {
  const mime = mimeOf(contentTypeHeader);
  if (DEFERS.has(mime)) return expected;
  const kind: ContentType | undefined =
    mime === "text/html" || mime === "application/xhtml+xml"
      ? "HTML"
      : mime.endsWith("/xml") || mime.endsWith("+xml")
        ? "XML"
        : mime === "application/json" || mime.endsWith("+json")
          ? "JSON"
          : undefined;
  if (kind !== expected) throw new ContentTypeError(mime, expected);
  return kind;
}

/** `namespaces`: the page type's prefixes for XPath (XML documents with a default namespace). */
export function parsePage(body: Uint8Array, contentTypeHeader: string | null, expected: ContentType, url: string, namespaces: Readonly<Record<string, string>> = {}): Page {
  const kind = pageKind(contentTypeHeader, expected);
  const charset = kind === "JSON" ? "utf-8" : (charsetOf(contentTypeHeader) ?? sniffCharset(body, kind));
  const mime = mimeOf(contentTypeHeader);
  if (DEFERS.has(mime)) {
    const reason = notText(body, charset);
    if (reason) throw new NotTextError(mime, reason);
  }
  const text = decode(body, charset);
  if (kind === "JSON") {
    try {
      return { kind, url, data: JSON.parse(text) };
    } catch (e) {
      throw new ParseError(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { kind, url, document: kind === "HTML" ? parseHtml(text, namespaces) : parseXml(text, namespaces) };
}

function mimeOf(contentTypeHeader: string | null): string {
  return (contentTypeHeader ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Why `body` is not text in `charset` (NUL bytes, or bytes the charset cannot decode), or undefined. */
function notText(body: Uint8Array, charset: string): string | undefined {
  let text: string;
  try {
    text = new TextDecoder(charset, { fatal: true }).decode(body);
  } catch (e) {
    // An unknown charset label is the page's mistake, not a sign of binary content.
    if (e instanceof RangeError) return undefined;
    return body.includes(0) ? "it holds NUL bytes" : `it is not valid ${charset}`;
  }
  return text.includes("\0") ? "it holds NUL bytes" : undefined;
}

// One parser for the process: parseHTML would also build a window (and its globals) for every page.
const parser = new DOMParser();

export function parseHtml(text: string, namespaces: Readonly<Record<string, string>> = {}): Node {
  const document = normalized(asNode(parser.parseFromString(text, "text/html")));
  assignHtmlPrefixes(document, namespaces);
  return document;
}

export function parseXml(text: string, namespaces: Readonly<Record<string, string>> = {}): Node {
  const document = normalized(withoutCdata(asNode(parser.parseFromString(text, "text/xml"))));
  assignXmlNames(document, namespaces);
  return document;
}

/** linkedom's documents are DOM nodes under their own types; XPath and the extractor take them as `Node`. */
function asNode(document: object): Node {
  if (!isNode(document)) throw new TypeError("the HTML/XML parser returned something that is not a DOM node");
  return document;
}

function isNode(value: object): value is Node {
  return "nodeType" in value && "childNodes" in value;
}

/**
 * XPath's data model has no CDATA sections: their text is ordinary text, and `text()` must find it
 * (`<title><![CDATA[…]]></title>` in feeds). wicked-good-xpath only knows text nodes, so CDATA becomes text.
 */
function withoutCdata(document: Node): Node {
  const stack: Node[] = [document];
  while (stack.length) {
    const node = stack.pop()!;
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === 4) child.parentNode!.replaceChild((document as Document).createTextNode(child.nodeValue ?? ""), child);
      else if (child.nodeType === 1) stack.push(child);
    }
  }
  return document;
}

/**
 * linkedom's parser makes a text node per parser event, so "honest &amp; winter" becomes three nodes and
 * `text()` would yield "honest ". Merging adjacent text nodes gives the one node a browser (and lxml) has.
 */
function normalized(document: Node): Node {
  document.normalize();
  return document;
}

function charsetOf(contentTypeHeader: string | null): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentTypeHeader ?? "")?.[1];
}

/** A BOM, `<meta charset>` / `http-equiv` in the first 1024 bytes (HTML), or the XML declaration's encoding. */
function sniffCharset(body: Uint8Array, kind: "HTML" | "XML"): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return "utf-8";
  if (body[0] === 0xff && body[1] === 0xfe) return "utf-16le";
  if (body[0] === 0xfe && body[1] === 0xff) return "utf-16be";
  const head = new TextDecoder("latin1").decode(body.subarray(0, 1024));
  const declared =
    kind === "XML"
      ? /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)/i.exec(head)?.[1]
      : (/<meta[^>]+charset\s*=\s*["']?([^"'\s/>;]+)/i.exec(head)?.[1] ?? undefined);
  return declared ?? "utf-8";
}

function decode(body: Uint8Array, charset: string): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    // An unknown label is the page's mistake; UTF-8 still reads the ASCII part of it.
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(body);
}
