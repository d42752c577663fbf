/** What a new read of a stored item changes in it (SPEC.md §4, issue 10): tables of cases, pure. */
import { describe, expect, test } from "bun:test";
import { fills, isMissing, mergeRead, replaces } from "../../src/crawl/known-item.ts";
import type { AttrType } from "../../src/model/attr.ts";

describe("isMissing", () => {
  const cases: [unknown, boolean][] = [
    [undefined, true],
    [null, true],
    ["", true],
    [[], true],
    ["x", false],
    [" ", false],
    ["0", false],
    [[""], false],
    [["a", "b"], false],
  ];
  test.each(cases)("%p → %p", (value, missing) => expect(isMissing(value)).toBe(missing));
});

describe("replaces: the stored value, the read value, the attr type", () => {
  const cases: [string, AttrType, unknown, unknown, boolean][] = [
    ["both missing", "S", null, "", false],
    ["both missing (a list)", "T", [], undefined, false],
    ["missing → present fills an S value", "S", null, "x", true],
    ["missing → present fills a T value", "T", "", "x", true],
    ["missing → present fills a U value", "U", null, "http://x.test/a", true],
    ["missing → present fills an I value", "I", null, "0123456789abcdef0123456789abcdef01234567.jpg", true],
    ["missing → present fills a list", "S", [], ["a"], true],
    ["an attr the stored item never had is filled", "S", undefined, "x", true],
    ["present → missing keeps an S value", "S", "x", null, false],
    ["present → missing keeps a T value (an empty read never erases)", "T", "x", "", false],
    ["present → missing keeps a list", "T", ["a"], [], false],
    ["present → equal: nothing to do", "T", "x", "x", false],
    ["present → other: a T value is updated", "T", "x", "y", true],
    ["present → other: a T list is updated", "T", ["a"], ["a", "b"], true],
    ["present → other: an S value is kept", "S", "x", "y", false],
    ["present → other: a U value is kept", "U", "http://x.test/a", "http://x.test/b", false],
    ["present → other: an I value is kept", "I", "a.jpg", "b.jpg", false],
  ];
  test.each(cases)("%s", (_name, type, stored, read, expected) => {
    expect(replaces(type, stored, read)).toBe(expected);
    if (isMissing(stored)) expect(fills(stored, read)).toBe(expected);
  });
});

describe("mergeRead", () => {
  const attrs = [
    { name: "title", attr_type: "S" },
    { name: "price", attr_type: "T" },
    { name: "url", attr_type: "U" },
    { name: "picture", attr_type: "I" },
    { name: "born", attr_type: "S" },
  ] as const;

  test("fills what is missing, updates changed T values, keeps everything else; names what changed", () => {
    const stored = { title: "A", price: "1", url: null, picture: null, born: "1900", gone: "an attr removed since" };
    const read = { title: "A (renamed)", price: "2", url: "http://x.test/a", picture: "", born: null };
    expect(mergeRead(attrs, stored, read)).toEqual({
      data: { title: "A", price: "2", url: "http://x.test/a", picture: null, born: "1900", gone: "an attr removed since" },
      changed: ["price", "url"],
    });
    expect(stored.price).toBe("1");
  });

  test("a read that adds nothing changes nothing", () => {
    const stored = { title: "A", price: "1", url: "http://x.test/a", picture: "p.jpg", born: null };
    expect(mergeRead(attrs, stored, { title: "A", price: "", url: null, picture: null, born: "" })).toEqual({ data: stored, changed: [] });
  });
});
