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

describe("applyRegex keeps matchAll's answers (empty matches, surrogate pairs)", () => {
  const cases: [string, string, string, string[]][] = [
    ["x*", "g", "axxb", ["", "xx", "", ""]],
    ["", "gu", "a𝄞b", ["", "", "", ""]],
    ["(?:)", "g", "ab", ["", "", ""]],
    ["\\b", "g", "a b", ["", "", "", ""]],
  ];
  test.each(cases)("%s /%s on %j", (pattern, flags, text, expected) => {
    expect(applyRegex(new RegExp(pattern, flags), text)).toEqual(expected);
    expect([...text.matchAll(new RegExp(pattern, flags))].map((m) => m[0])).toEqual(expected);
  });
});

describe("a regex engine that gives up (JavaScriptCore's backtracking limit)", () => {
  // The example: (?:a|a)+ tries every way to split the a's (2^n) before the c fails and b is tried.
  const pattern = "(?:a|a)+c|b";
  const giving = "a".repeat(30) + "b";

  test("what JavaScriptCore does: exec returns null — no match, no error — where the match exists", () => {
    expect(/(?:a|a)+c|b/.exec("a".repeat(20) + "b")?.[0]).toBe("b");
    expect(/(?:a|a)+c|b/.exec(giving)).toBeNull();
  });

  test("the give-up is heard, with the match a retry found from the end; the values stay the engine's", () => {
    const heard: unknown[] = [];
    expect(applyRegex(compileRegex(pattern, "g"), giving, (g) => heard.push(g))).toEqual([]);
    expect(heard).toEqual([{ valueLength: 31, elapsedMs: expect.any(Number), missedMatchAt: 30 }]);
  });

  test("a value the engine can search is not reported", () => {
    const heard: unknown[] = [];
    expect(applyRegex(compileRegex(pattern, "g"), "a".repeat(10) + "b", (g) => heard.push(g))).toEqual(["b"]);
    expect(heard).toEqual([]);
  });

  /** A clock that makes every search look as slow as `ms`. */
  const slowClock = (ms: number) => {
    let t = 0;
    return () => (t += ms);
  };
  const cases: [string, string, string, number, unknown[]][] = [
    ["a quick miss is a true miss", "z", "abc", 1, []],
    ["a slow miss with no match anywhere: reported, without proof", "z", "abc", 60, [{ valueLength: 3, elapsedMs: 60 }]],
    ["a slow miss after matches: the retry starts where the failed search did", "b|q", "ab", 60, [{ valueLength: 2, elapsedMs: 60 }]],
  ];
  test.each(cases)("%s", (_, re, text, ms, expected) => {
    const heard: unknown[] = [];
    applyRegex(new RegExp(re, "g"), text, (g) => heard.push(g), slowClock(ms));
    expect(heard).toEqual(expected);
  });

});
