import { describe, expect, test } from "bun:test";
import { ContentTypeError, NotTextError, pageKind, parsePage, ParseError } from "../../src/extract/document.ts";
import { compileXPath } from "../../src/expressions/xpath.ts";
import type { ContentType } from "../../src/model/page-type.ts";

describe("pageKind (SPEC.md §2)", () => {
  const ok: [string | null, ContentType, ContentType][] = [
    ["text/html; charset=utf-8", "HTML", "HTML"],
    ["application/xhtml+xml", "HTML", "HTML"],
    ["application/xml", "XML", "XML"],
    ["text/xml", "XML", "XML"],
    ["application/rss+xml", "XML", "XML"],
    ["application/atom+xml; charset=utf-8", "XML", "XML"],
    ["application/json", "JSON", "JSON"],
    ["application/ld+json", "JSON", "JSON"],
    ["application/vnd.api+json", "JSON", "JSON"],
    [null, "JSON", "JSON"],
    ["", "XML", "XML"],
    ["text/plain", "JSON", "JSON"],
    ["application/octet-stream", "HTML", "HTML"],
    ["TEXT/HTML", "HTML", "HTML"],
  ];
  test.each(ok)("%p read as %s", (header, expected, kind) => {
    expect(pageKind(header, expected)).toBe(kind);
  });

  const mismatch: [string, ContentType, string][] = [
    ["image/png", "HTML", "content type image/png is not HTML (the page type's content_type)"],
    ["application/pdf", "JSON", "content type application/pdf is not JSON"],
    ["text/html", "JSON", "content type text/html is not JSON"],
    ["application/json", "HTML", "content type application/json is not HTML"],
    ["text/xml", "HTML", "content type text/xml is not HTML"],
  ];
  test.each(mismatch)("%s where %s is expected is that page's error", (header, expected, message) => {
    expect(() => pageKind(header, expected)).toThrow(ContentTypeError);
    expect(() => pageKind(header, expected)).toThrow(message);
  });
});

describe("parsePage", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const text = (page: ReturnType<typeof parsePage>, xpath: string) => (page.kind === "JSON" ? [] : compileXPath(xpath).strings(page.document));

  test("charsets: header, meta tag, XML declaration, BOM", () => {
    const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    expect(text(parsePage(latin1("<p>caf\xe9</p>"), "text/html; charset=ISO-8859-1", "HTML", "http://x/"), "//p/text()")).toEqual(["café"]);
    expect(text(parsePage(latin1('<meta charset="windows-1252"><p>\x93q\x94</p>'), "text/html", "HTML", "http://x/"), "//p/text()")).toEqual(["“q”"]);
    expect(text(parsePage(latin1('<?xml version="1.0" encoding="ISO-8859-1"?><r>\xfc</r>'), "application/xml", "XML", "http://x/"), "//r/text()")).toEqual(["ü"]);
    expect(text(parsePage(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes("<p>ok</p>")]), null, "HTML", "http://x/"), "//p/text()")).toEqual(["ok"]);
  });

  test("entities do not split text nodes; attribute values are strings to XPath", () => {
    const page = parsePage(bytes(`<p title="a&amp;b">one &amp; two &lt;three&gt;</p>`), "text/html", "HTML", "http://x/");
    expect(text(page, "//p/text()")).toEqual(["one & two <three>"]);
    expect(text(page, "string(//p/@title)")).toEqual(["a&b"]);
    expect(text(page, "//p[contains(@title, '&')]/@title")).toEqual(["a&b"]);
  });

  test("CDATA in XML is text", () => {
    const page = parsePage(bytes(`<r><t><![CDATA[<b>x</b> & y]]></t></r>`), "text/xml", "XML", "http://x/");
    expect(text(page, "//t/text()")).toEqual(["<b>x</b> & y"]);
  });

  test("node-sets come back in document order", () => {
    const page = parsePage(bytes(`<div><p>1</p><section><p>2</p></section></div><p>3</p>`), "text/html", "HTML", "http://x/");
    expect(text(page, "//p/text()")).toEqual(["1", "2", "3"]);
    expect(text(page, "//section/p/text() | //div/p/text()")).toEqual(["1", "2"]);
  });

  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  const notText: [string, Uint8Array, string | null, ContentType, string][] = [
    ["a PNG as application/octet-stream", PNG, "application/octet-stream", "HTML", "content type application/octet-stream: the body is not text (it holds NUL bytes)"],
    ["a PNG without a content type", PNG, null, "XML", "no content type: the body is not text (it holds NUL bytes)"],
    ["NUL bytes in text/plain", bytes("<p>a\0b</p>"), "text/plain", "HTML", "content type text/plain: the body is not text (it holds NUL bytes)"],
    ["bytes that are not UTF-8, declared UTF-8", new Uint8Array([0x3c, 0x70, 0x3e, 0xff, 0xfe, 0xfd]), "text/plain; charset=utf-8", "HTML", "content type text/plain: the body is not text (it is not valid utf-8)"],
    ["JSON that is not UTF-8", new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), "application/octet-stream", "JSON", "the body is not text (it is not valid utf-8)"],
  ];
  test.each(notText)("%s is that page's error naming its content type", (_name, body, header, expected, message) => {
    expect(() => parsePage(body, header, expected, "http://x/")).toThrow(NotTextError);
    expect(() => parsePage(body, header, expected, "http://x/")).toThrow(message);
  });

  test("text whose header defers is still read: Latin-1 by its meta tag, UTF-16 by its BOM", () => {
    const latin1 = Uint8Array.from('<meta charset="iso-8859-1"><p>caf\xe9</p>', (c) => c.charCodeAt(0));
    expect(text(parsePage(latin1, "application/octet-stream", "HTML", "http://x/"), "//p/text()")).toEqual(["café"]);
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from("<p>ok</p>").flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(text(parsePage(utf16, null, "HTML", "http://x/"), "//p/text()")).toEqual(["ok"]);
  });

  test("bad JSON is a ParseError naming the reason", () => {
    expect(() => parsePage(bytes("{nope"), "application/json", "JSON", "http://x/")).toThrow(ParseError);
  });
});
