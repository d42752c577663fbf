import { describe, expect, test } from "bun:test";
import { csvCell, csvLine } from "../../src/items/csv.ts";
import { itemCsvColumns, itemCsvHeader, itemCsvRow, itemJsonLine } from "../../src/items/rows.ts";
import { attrSchema } from "../../src/model/attr.ts";
import type { Item } from "../../src/model/item.ts";

describe("csvCell (RFC 4180)", () => {
  const cases: [unknown, string][] = [
    ["plain", "plain"],
    ["", ""],
    [null, ""],
    [undefined, ""],
    [42, "42"],
    [true, "true"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\rlf", '"cr\rlf"'],
    [["x", "y"], '"[""x"",""y""]"'],
    [[], "[]"],
    [{ a: 1 }, '"{""a"":1}"'],
    [" padded ", " padded "],
  ];
  test.each(cases)("%p → %s", (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  test("a line is CRLF-terminated", () => {
    expect(csvLine(["a", "b,c", null])).toBe('a,"b,c",\r\n');
  });
});

describe("item rows", () => {
  const attr = (name: string, attr_type: string, extra: object = {}) => attrSchema.parse({ name, attr_type, ...extra });
  const attrs = [attr("base", "B"), attr("url", "U", { order: 30 }), attr("title", "S", { order: 10 }), attr("helper", "S", { save_to_db: false }), attr("tags", "S", { many: true, order: 10 }), attr("image", "I")];

  test("CSV columns: the saved attrs (no BASE, no helper) by order, then position", () => {
    expect(itemCsvColumns(attrs)).toEqual(["title", "tags", "url", "image"]);
  });

  test("the header: the item's fields around the attrs; an attr named like a field is headed data.NAME", () => {
    expect(itemCsvHeader(["title", "tags", "url", "id", "image"])).toBe("id,class,source,url,title,tags,data.url,data.id,image,images,created_at,updated_at\r\n");
  });

  const item: Item = {
    id: 7,
    class: "Quote",
    source: "quotes, inc.",
    url: null,
    data: { title: 'He said "no"', tags: ["a", "b"], url: "http://x/1", image: null },
    images: ["full/1.jpg"],
    created_at: "2024-01-02T03:04:05.000Z",
    updated_at: "2024-01-02T03:04:05.000Z",
  };

  test("a CSV row: values in column order, lists as JSON, missing values empty", () => {
    expect(itemCsvRow(item, ["title", "tags", "url", "image", "absent"])).toBe(
      '7,Quote,"quotes, inc.",,"He said ""no""","[""a"",""b""]",http://x/1,,,"[""full/1.jpg""]",2024-01-02T03:04:05.000Z,2024-01-02T03:04:05.000Z\r\n',
    );
  });

  test("a JSON line is the item itself", () => {
    expect(JSON.parse(itemJsonLine(item))).toEqual(item);
    expect(itemJsonLine(item).endsWith("}\n")).toBe(true);
  });
});
