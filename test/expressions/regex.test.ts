import { describe, expect, test } from "bun:test";
import { applyRegex, compileRegex, RegexSyntaxError } from "../../src/expressions/regex.ts";

describe("applyRegex (reg_exp on one extracted string)", () => {
  const cases: [string, string, string[]][] = [
    ["(?P<extract>\\d+) comments", "42 comments, 7 comments", ["42", "7"]],
    ["(?<extract>\\d+)", "a1b22", ["1", "22"]],
    ["\\d+", "a1b22", ["1", "22"]],
    ["(\\w)=(\\d)", "a=1 b=2", ["a", "1", "b", "2"]],
    ["x(?P<extract>y)?", "x xy", ["y"]],
    ["(?i)(?P<extract>price)", "PRICE: 3", ["PRICE"]],
    ["(?s)a.b", "a\nb", ["a\nb"]],
    ["(?P<extract>(?P<q>['\"]).*?(?P=q))", `say "hi" and 'yo'`, [`"hi"`, `'yo'`]],
    ["(?P<q>['\"]).*?(?P=q)", `say "hi" and 'yo'`, [`"`, `'`]],
    ["nothing", "here", []],
  ];
  test.each(cases)("%s on %j", (pattern, text, expected) => {
    expect(applyRegex(compileRegex(pattern), text)).toEqual(expected);
  });
});

describe("compileRegex errors", () => {
  const bad: [string, string][] = [
    ["(unclosed", "invalid regular expression:"],
    ["[a-", "invalid regular expression:"],
    ["(?x)a b", "Python's inline flag (?x) has no JavaScript equivalent"],
    ["(?L)a", "Python's inline flag (?L) has no JavaScript equivalent"],
  ];
  test.each(bad)("%s", (pattern, message) => {
    expect(() => compileRegex(pattern)).toThrow(RegexSyntaxError);
    expect(() => compileRegex(pattern)).toThrow(message);
  });

  test("compiled once per pattern and flags", () => {
    expect(compileRegex("a+", "g")).toBe(compileRegex("a+", "g"));
    expect(compileRegex("a+", "g")).not.toBe(compileRegex("a+"));
  });
});
