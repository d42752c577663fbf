import { describe, expect, test } from "bun:test";
import { compileJsonPath, JsonPathSyntaxError } from "../../src/expressions/jsonpath.ts";

const store = {
  store: {
    book: [
      { category: "reference", author: "Nigel Rees", title: "Sayings of the Century", price: 8.95 },
      { category: "fiction", author: "Evelyn Waugh", title: "Sword of Honour", price: 12.99 },
      { category: "fiction", author: "Herman Melville", title: "Moby Dick", isbn: "0-553-21311-3", price: 8.99 },
      { category: "fiction", author: "J. R. R. Tolkien", title: "The Lord of the Rings", isbn: "0-395-19395-8", price: 22.99 },
    ],
    bicycle: { color: "red", price: 19.95 },
  },
  expensive: 10,
  "author-name": "dash",
  über: "umlaut",
  "a.b": "dotted",
  "it's": "quoted",
  flags: [true, false, null, 0, "true"],
  matrix: [[1, 2], [3, [4, 5]]],
};
const books = store.store.book;
const titles = (...i: number[]) => i.map((n) => books[n]?.title);

const rootArray = [
  { id: 1, name: "one", tags: ["a"] },
  { id: 2, name: "two", tags: [] },
  { id: 3, name: "three" },
];

interface Case {
  expr: string;
  expected: unknown[];
  root?: unknown;
  current?: unknown;
}

const valid: Case[] = [
  { expr: "$.store.book[*].author", expected: books.map((b) => b.author) },
  { expr: "$..author", expected: books.map((b) => b.author) },
  { expr: "$.store.*", expected: [books, store.store.bicycle] },
  { expr: "$.store..price", expected: [8.95, 12.99, 8.99, 22.99, 19.95] },
  { expr: "$..book[2]", expected: [books[2]] },
  { expr: "$..book[-1].title", expected: titles(3) },
  { expr: "$..book[0,1].title", expected: titles(0, 1) },
  { expr: "$..book[3,0].title", expected: titles(3, 0) },
  { expr: "$..book[:2].title", expected: titles(0, 1) },
  { expr: "$..book[1:3].title", expected: titles(1, 2) },
  { expr: "$..book[-2:].title", expected: titles(2, 3) },
  { expr: "$..book[::-1].title", expected: titles(3, 2, 1, 0) },
  { expr: "$..book[0:4:2].title", expected: titles(0, 2) },
  { expr: "$..book[3:0:-2].title", expected: titles(3, 1) },
  { expr: "$..book[10:20].title", expected: [] },
  { expr: "$..book[?(@.isbn)].title", expected: titles(2, 3) },
  { expr: "$..book[?@.isbn].title", expected: titles(2, 3) },
  { expr: "$..book[?(!@.isbn)].title", expected: titles(0, 1) },
  { expr: "$..book[?(@.price < 10)].title", expected: titles(0, 2) },
  { expr: "$..book[?(@.price<=8.99)].title", expected: titles(0, 2) },
  { expr: "$..book[?(@.price == 8.95)].title", expected: titles(0) },
  { expr: "$..book[?(@.price > $.expensive)].title", expected: titles(1, 3) },
  { expr: "$..book[?@.price >= 10 && @.category == 'fiction'].title", expected: titles(1, 3) },
  { expr: "$..book[?(@.price < 9 || @.price > 20)].title", expected: titles(0, 2, 3) },
  { expr: "$..book[?((@.price < 10 || @.category == 'fiction') && @.isbn)].title", expected: titles(2, 3) },
  { expr: '$..book[?(@.author == "Herman Melville")].price', expected: [8.99] },
  { expr: "$.store.book[?(@.category != 'reference')].title", expected: titles(1, 2, 3) },
  { expr: "$.store.book[?(@.title > 'S')].title", expected: titles(0, 1, 3) },
  { expr: "$.store[?(@.color)]", expected: [store.store.bicycle] },
  { expr: "$.flags[?(@ == true)]", expected: [true] },
  { expr: "$.flags[?(@ == null)]", expected: [null] },
  { expr: "$.flags[?(@ != false)]", expected: [true, null, 0, "true"] },
  { expr: "$.store.bicycle..*", expected: ["red", 19.95] },
  { expr: "$['store']['bicycle']['color']", expected: ["red"] },
  { expr: '$["store"].bicycle["color"]', expected: ["red"] },
  { expr: "$.store.bicycle['color','price']", expected: ["red", 19.95] },
  { expr: "$.store.book[*]['title','price']", expected: books.flatMap((b) => [b.title, b.price]) },
  { expr: "$['a.b']", expected: ["dotted"] },
  { expr: "$['it\\'s']", expected: ["quoted"] },
  { expr: '$["it\'s"]', expected: ["quoted"] },
  { expr: "$.author-name", expected: ["dash"] },
  { expr: "$.über", expected: ["umlaut"] },
  { expr: "$..[0]", expected: [books[0], true, [1, 2], 1, 3, 4] },
  { expr: "$.matrix[1][1][-1]", expected: [5] },
  { expr: "$", expected: [store] },
  { expr: "  $.expensive  ", expected: [10] },
  // Missing members, wrong types and prototype names select nothing.
  { expr: "$.nothing.deeper", expected: [] },
  { expr: "$.store.book[10]", expected: [] },
  { expr: "$.store.book.title", expected: [] },
  { expr: "$.store.bicycle[0]", expected: [] },
  { expr: "$.constructor", expected: [] },
  { expr: "$.store.book.length", expected: [] },
  // Bare DDS-style paths and `@` run from the current node.
  { expr: "store.bicycle.color", expected: ["red"] },
  { expr: "title", current: books[0], expected: titles(0) },
  { expr: "@.title", current: books[1], expected: titles(1) },
  { expr: "$.title", root: books[2], expected: titles(2) },
  { expr: "$.expensive", current: books[0], expected: [10] },
  { expr: "*", current: store.store.bicycle, expected: ["red", 19.95] },
  { expr: "..price", current: store.store.bicycle, expected: [19.95] },
  { expr: "[1].name", root: rootArray, expected: ["two"] },
  { expr: ".name", current: rootArray[2], root: rootArray, expected: ["three"] },
  // Root arrays, as JSON APIs return them.
  { expr: "$", root: rootArray, expected: [rootArray] },
  { expr: "$[*]", root: rootArray, expected: rootArray },
  { expr: "$[*].id", root: rootArray, expected: [1, 2, 3] },
  { expr: "$[ 0 , 2 ].name", root: rootArray, expected: ["one", "three"] },
  { expr: "$[?(@.tags)].id", root: rootArray, expected: [1, 2] },
  { expr: "$[?(@.tags[0] == 'a')].name", root: rootArray, expected: ["one"] },
  { expr: "$[?(@.id > 1 && @.name != 'three')].name", root: rootArray, expected: ["two"] },
  { expr: "$[-1:]", root: rootArray, expected: [rootArray[2]] },
];

describe("compileJsonPath evaluates", () => {
  test.each(valid)("$expr", ({ expr, expected, root, current }) => {
    const path = compileJsonPath(expr);
    expect(path.source).toBe(expr);
    const r = root ?? store;
    expect(current === undefined ? path.evaluate(r) : path.evaluate(r, current)).toEqual(expected);
  });
});

test("elem paths give the same values written `$.x` or bare `x` against each base object", () => {
  const bases = compileJsonPath("$[*]").evaluate(rootArray);
  const dollar = compileJsonPath("$.name");
  const bare = compileJsonPath("name");
  expect(bases.map((b) => dollar.evaluate(b, b))).toEqual([["one"], ["two"], ["three"]]);
  expect(bases.map((b) => bare.evaluate(b, b))).toEqual([["one"], ["two"], ["three"]]);
});

const invalid: { expr: string; message: string; position: number }[] = [
  { expr: "", message: "empty expression", position: 0 },
  { expr: "   ", message: "empty expression", position: 0 },
  { expr: "$.store]", message: "unexpected ']' at 7", position: 7 },
  { expr: "$x", message: "unexpected 'x' at 1", position: 1 },
  { expr: "$.a b", message: "unexpected 'b' at 4", position: 4 },
  { expr: "$['a", message: "unterminated string starting at 2", position: 2 },
  { expr: "$[0", message: "unclosed '[' at 1", position: 1 },
  { expr: "$[0,", message: "unclosed '[' at 1", position: 1 },
  { expr: "$[]", message: "unexpected ']' at 2", position: 2 },
  { expr: "$.", message: "empty name after '.' at 1", position: 1 },
  { expr: "$.a.[0]", message: "empty name after '.' at 3", position: 3 },
  { expr: "$.a..", message: "expected a name, '*' or '[' after '..' at 5", position: 5 },
  { expr: "$[1:2:0]", message: "slice step must not be 0 at 2", position: 2 },
  { expr: "$[-]", message: "expected a digit after '-' at 3", position: 3 },
  { expr: "$[1.5]", message: "unexpected '.' at 3", position: 3 },
  { expr: "$['a\\q']", message: "invalid escape '\\q' at 4", position: 4 },
  { expr: "$[?(@.a < 1]", message: "unexpected ']' at 11", position: 11 },
  { expr: "$[?(@.a < 1", message: "unclosed '(' at 3", position: 3 },
  { expr: "$[?@.a ==]", message: "unexpected ']' at 9", position: 9 },
  { expr: "$[?true]", message: "a literal must be compared with something, at 3", position: 3 },
  { expr: "$[?(@.a == 1))]", message: "unexpected ')' at 13", position: 13 },
  { expr: "$[?(@.a === 1)]", message: "unexpected '=' at 10", position: 10 },
  { expr: "$[?", message: "expected a filter expression at 3", position: 3 },
  { expr: "$[?(@.a == wrong)]", message: "unexpected 'w' at 11", position: 11 },
  { expr: "title]", message: "unexpected ']' at 5", position: 5 },
];

describe("compileJsonPath rejects", () => {
  test.each(invalid)("$expr", ({ expr, message, position }) => {
    let error: unknown;
    try {
      compileJsonPath(expr);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsonPathSyntaxError);
    expect((error as JsonPathSyntaxError).message).toBe(message);
    expect((error as JsonPathSyntaxError).position).toBe(position);
  });
});
