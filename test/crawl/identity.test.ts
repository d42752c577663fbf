import { describe, expect, test } from "bun:test";
import { identityAttrs, uniqueKey } from "../../src/crawl/pipeline.ts";
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
  test("depends on the class and on every id value, in order", async () => {
    const k = await uniqueKey(1, ["a", "b"]);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(await uniqueKey(1, ["a", "b"])).toBe(k);
    expect(await uniqueKey(2, ["a", "b"])).not.toBe(k);
    expect(await uniqueKey(1, ["b", "a"])).not.toBe(k);
    expect(await uniqueKey(1, ["a,b"])).not.toBe(await uniqueKey(1, ["a", "b"]));
    expect(await uniqueKey(1, [["x", "y"]])).not.toBe(await uniqueKey(1, ["x,y"]));
  });
});
