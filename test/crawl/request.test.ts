import { describe, expect, test } from "bun:test";
import { buildRequest, requestKey, UnsupportedRequestError } from "../../src/crawl/request.ts";
import { pageTypeSchema } from "../../src/model/page-type.ts";

const pt = (input: Record<string, unknown>) => pageTypeSchema.parse({ page_type: "MP", ...input });

describe("buildRequest", () => {
  const cases: [string, Record<string, unknown>, Record<string, string>, object][] = [
    ["a plain GET", {}, {}, { method: "GET", url: "http://x/{page}", headers: {} }],
    ["{page} in URL, headers, cookies and body", { method: "POST", headers: { "X-P": "{page}" }, cookies: { s: "v{page}", t: "1" }, body: "p={page}" }, { page: "3" }, { method: "POST", url: "http://x/3", headers: { "X-P": "3", Cookie: "s=v3; t=1" }, body: "p=3" }],
    ["a POST form: url-encoded body", { method: "POST", request_type: "form", form_data: { q: "a b&c", n: "{page}" } }, { page: "2" }, { method: "POST", url: "http://x/2", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "q=a+b%26c&n=2" }],
    ["a GET form: fields in the query", { request_type: "form", form_data: { q: "{follow_page}" } }, { page: "1", follow_page: "abc" }, { method: "GET", url: "http://x/1?q=abc", headers: {} }],
    ["an explicit Content-Type is kept", { method: "POST", request_type: "form", form_data: { a: "1" }, headers: { "Content-Type": "text/plain" } }, { page: "1" }, { method: "POST", url: "http://x/1", headers: { "Content-Type": "text/plain" }, body: "a=1" }],
    ["JSON braces in a body are not placeholders", { method: "POST", body: '{"a": {page}, "b": {"c": 1}}' }, { page: "9" }, { method: "POST", url: "http://x/9", headers: {}, body: '{"a": 9, "b": {"c": 1}}' }],
  ];
  test.each(cases)("%s", (_name, options, vars, expected) => {
    expect(buildRequest(pt(options), "http://x/{page}", vars)).toEqual(expected as never);
  });

  test("render_javascript is refused", () => {
    expect(() => buildRequest(pt({ render_javascript: true }), "http://x/", {})).toThrow(UnsupportedRequestError);
  });

  test("requests with the same method, URL and body are the same request", () => {
    expect(requestKey({ method: "GET", url: "http://x/a" })).toBe(requestKey({ method: "GET", url: "http://x/a", body: "" }));
    expect(requestKey({ method: "POST", url: "http://x/a", body: "1" })).not.toBe(requestKey({ method: "POST", url: "http://x/a", body: "2" }));
    expect(requestKey({ method: "GET", url: "http://x/a" })).not.toBe(requestKey({ method: "POST", url: "http://x/a" }));
  });
});
