/**
 * @module
 * A fetched page as something to extract from: its content type decided (SPEC.md §2), its bytes decoded with the
 * right charset, and parsed — HTML and XML with linkedom, JSON with JSON.parse.
 */
import { DOMParser } from "linkedom";
import type { ContentType } from "../model/page-type.ts";
import "./dom-fixes.ts";

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

const DEFERS = new Set(["", "text/plain", "application/octet-stream"]);

/** What the response's Content-Type says the page is, checked against what the page type expects. */
export function pageKind(contentTypeHeader: string | null, expected: ContentType): ContentType {
  const mime = (contentTypeHeader ?? "").split(";")[0]!.trim().toLowerCase();
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

export function parsePage(body: Uint8Array, contentTypeHeader: string | null, expected: ContentType, url: string): Page {
  const kind = pageKind(contentTypeHeader, expected);
  if (kind === "JSON") {
    const text = decode(body, "utf-8");
    try {
      return { kind, url, data: JSON.parse(text) };
    } catch (e) {
      throw new ParseError(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const text = decode(body, charsetOf(contentTypeHeader) ?? sniffCharset(body, kind));
  return { kind, url, document: kind === "HTML" ? parseHtml(text) : parseXml(text) };
}

// One parser for the process: parseHTML would also build a window (and its globals) for every page.
const parser = new DOMParser();

export function parseHtml(text: string): Node {
  return normalized(asNode(parser.parseFromString(text, "text/html")));
}

export function parseXml(text: string): Node {
  return normalized(withoutCdata(asNode(parser.parseFromString(text, "text/xml"))));
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
