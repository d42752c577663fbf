import { describe, expect, test } from "bun:test";
import { identityAttrs, itemKey, mandatoryAttrs, uniqueKey } from "../../src/crawl/identity.ts";
import type { Values } from "../../src/extract/extractor.ts";
import { attrSchema } from "../../src/model/attr.ts";

const attrs = (...list: [string, string, boolean?][]) => list.map(([name, attr_type, id_field]) => attrSchema.parse({ name, attr_type, id_field: id_field ?? false }));

describe("identityAttrs (SPEC.md §1: same item when all id-field values are equal)", () => {
  const cases: [string, ReturnType<typeof attrs>, string[]][] = [
    ["id fields when there are some", attrs(["b", "B"], ["title", "S", true], ["url", "U", true], ["x", "S"]), ["title", "url"]],
    ["else the DETAIL_PAGE_URL attrs", attrs(["b", "B"], ["title", "S"], ["url", "U"], ["url2", "U"]), ["url", "url2"]],
    ["else every STANDARD attr", attrs(["b", "B"], ["title", "S"], ["price", "T"], ["x", "S"]), ["title", "x"]],
  ];
  test.each(cases)("%s", (_name, list, expected) => {
    expect(identityAttrs(list).map((a) => a.name)).toEqual(expected);
  });
});

describe("uniqueKey", () => {
  test("depends on the class and on every id value, in order", () => {
    const k = uniqueKey(1, ["a", "b"]);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(uniqueKey(1, ["a", "b"])).toBe(k);
    expect(uniqueKey(2, ["a", "b"])).not.toBe(k);
    expect(uniqueKey(1, ["b", "a"])).not.toBe(k);
    expect(uniqueKey(1, ["a,b"])).not.toBe(uniqueKey(1, ["a", "b"]));
    expect(uniqueKey(1, [["x", "y"]])).not.toBe(uniqueKey(1, ["x,y"]));
  });
});

describe("itemKey (SPEC.md §1: items whose identity values are all empty are told apart by their saved values)", () => {
  // A class identified by an optional detail link, as DDS's default identity is.
  const cls = attrs(["base", "B"], ["title", "S"], ["url", "U"], ["helper", "S"]);
  const identity = identityAttrs(cls);
  const saved = cls.filter((a) => a.attr_type !== "B" && a.name !== "helper");
  const key = (values: Values, classId: number | null = 1) => itemKey(classId, identity, saved, values);

  const same: [string, Values, Values][] = [
    ["same link, other title: the same item (the link is its identity)", { title: "a", url: "http://x/1" }, { title: "b", url: "http://x/1" }],
    ["no link, same saved values: the same item (a re-crawl adds nothing)", { title: "a" }, { title: "a" }],
    ["an empty link counts as no link", { title: "a", url: "" }, { title: "a" }],
    ["a value that is not saved does not tell items apart", { title: "a", helper: "1" }, { title: "a", helper: "2" }],
  ];
  test.each(same)("%s", (_name, a, b) => {
    expect(key(a)).toBe(key(b));
  });

  const different: [string, Values, Values, number][] = [
    ["no link, other titles: two items, never merged on the empty link", { title: "a" }, { title: "b" }, 1],
    ["other links: two items", { title: "a", url: "http://x/1" }, { title: "a", url: "http://x/2" }, 1],
    ["no link vs a link", { title: "a" }, { title: "a", url: "http://x/1" }, 1],
    ["no link, same values, another class", { title: "a" }, { title: "a" }, 2],
  ];
  test.each(different)("%s", (_name, a, b, classOfB) => {
    expect(key(a)).not.toBe(key(b, classOfB));
  });

  test("with a link, the key is the identity values' key", () => {
    expect(key({ title: "a", url: "http://x/1" })).toBe(uniqueKey(1, ["http://x/1"]));
  });
});

describe("mandatoryAttrs (SPEC.md §4: only attrs that are saved, as DDS's validation pipeline)", () => {
  const cls = [
    ...attrs(["base", "B"], ["title", "S"], ["url", "U"], ["picture", "I"], ["price", "T"]),
    attrSchema.parse({ name: "slug", attr_type: "S", save_to_db: false }),
    attrSchema.parse({ name: "detail", attr_type: "U", save_to_db: false }),
  ];
  const elem = (attr: string, mandatory = true) => ({ attr, mandatory });
  const cases: [string, { attr: string; mandatory: boolean }[], string[]][] = [
    ["saved attrs with a mandatory elem", [elem("base"), elem("title"), elem("url"), elem("picture"), elem("price")], ["title", "url", "picture", "price"]],
    ["an elem with mandatory: false", [elem("title", false), elem("url")], ["url"]],
    ["helper attrs (save_to_db: false) are never enforced", [elem("slug"), elem("detail"), elem("title")], ["title"]],
    ["the BASE attr is not a value", [elem("base")], []],
  ];
  test.each(cases)("%s", (_name, elems, expected) => {
    expect(mandatoryAttrs(cls, elems).map((a) => a.name)).toEqual(expected);
  });
});
