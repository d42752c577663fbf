import { describe, expect, test } from "bun:test";
import { compileXPath, XPathSyntaxError } from "../../src/expressions/xpath.ts";

describe("compileXPath", () => {
  const ok = ["//div[@class='quote']", "span/a/@href", "..//x", "normalize-space(//h1)", "//a[contains(@class, 'next')]/@href", "//*[local-name()='link']", "//a['not-a-function(']", "child::node()", "//p[position() < 3]/text()", "count(//li)"];
  test.each(ok)("%s compiles", (expr) => {
    expect(compileXPath(expr).source).toBe(expr);
  });

  const bad: [string, string][] = [
    ["//div[", "invalid XPath: Missing predicate expression"],
    ["a|", "invalid XPath: Missing next union location path"],
    ["//x[1]]", "invalid XPath: Bad token: ]"],
    ["", "invalid XPath: Empty XPath expression"],
    ["upper-case(//a)", "invalid XPath: unknown function upper-case() (XPath 1.0 has last, position"],
    ["//a[matches(., 'x')]", "unknown function matches()"],
    ["$var", "invalid XPath: Variable reference not allowed in HTML XPath"],
  ];
  test.each(bad)("%s is refused", (expr, message) => {
    expect(() => compileXPath(expr)).toThrow(XPathSyntaxError);
    expect(() => compileXPath(expr)).toThrow(message);
  });

  test("compiled once per expression", () => {
    expect(compileXPath("//a/@href")).toBe(compileXPath("//a/@href"));
  });
});
