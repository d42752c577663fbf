/** `dscraper items` as a user runs it: real processes over a real database file. */
import { describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { itemSchema } from "../../src/model/item.ts";
import { runCli } from "../support/cli.ts";
import { importedProject, projectDatabaseUrl } from "../support/project.ts";
import { tempDir } from "../support/temp.ts";

const BUNDLE = {
  classes: [
    {
      name: "Quote",
      attrs: [
        { name: "base", attr_type: "B" },
        { name: "url", attr_type: "U", order: 30 },
        { name: "text", attr_type: "S", id_field: true, order: 10 },
        { name: "slug", attr_type: "S", save_to_db: false, order: 15 },
        { name: "tags", attr_type: "S", many: true, order: 20 },
        { name: "picture", attr_type: "I", order: 40 },
      ],
    },
    { name: "Book", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S", id_field: true }] },
  ],
  scrapers: [
    { name: "quotes", class: "Quote", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//div" }, { attr: "text", x_path: "p/text()" }] },
    { name: "books", class: "Book", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//div" }, { attr: "title", x_path: "p/text()" }] },
  ],
  sources: [
    { name: "quotes", url: "http://127.0.0.1:9/quotes/", scraper: "quotes" },
    { name: "more quotes", url: "http://127.0.0.1:9/more/", scraper: "quotes" },
    { name: "books", url: "http://127.0.0.1:9/books/", scraper: "books" },
  ],
};

const T1 = Date.parse("2024-01-02T03:04:05.000Z");
const T2 = Date.parse("2024-01-03T00:00:00.000Z");

async function setup(): Promise<string> {
  const cwd = await importedProject(BUNDLE);
  const client = createClient({ url: projectDatabaseUrl(cwd) });
  try {
    const item = (id: number, cls: number, source: number, url: string | null, data: object, created: number, updated: number) => ({
      sql: "INSERT INTO items (id, class_id, source_id, unique_key, url, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      args: [id, cls, source, `k${id}`, url, JSON.stringify(data), created, updated],
    });
    await client.batch([
      item(1, 1, 1, "http://x/a/1", { text: "“First”, said she", tags: ["x", "y"], url: "http://x/a/1", picture: "ab12.jpg" }, T1, T2),
      item(2, 1, 1, null, { text: "Second\nline", tags: [], url: null, picture: null }, T1, T1),
      item(3, 2, 3, null, { title: "A book" }, T2, T2),
      item(4, 1, 2, null, { text: "Elsewhere", tags: ["z"], url: null, picture: null }, T2, T2),
      { sql: "INSERT INTO item_images (item_id, key) VALUES (1, 'thumbs/small/ab12.jpg'), (1, 'full/ab12.jpg')", args: [] },
    ]);
  } finally {
    client.close();
  }
  return cwd;
}

const FIRST = {
  id: 1,
  class: "Quote",
  source: "quotes",
  url: "http://x/a/1",
  data: { text: "“First”, said she", tags: ["x", "y"], url: "http://x/a/1", picture: "ab12.jpg" },
  images: ["thumbs/small/ab12.jpg", "full/ab12.jpg"],
  created_at: "2024-01-02T03:04:05.000Z",
  updated_at: "2024-01-03T00:00:00.000Z",
};

const jsonl = (text: string) => text.trimEnd().split("\n").map((l) => JSON.parse(l));

describe("dscraper items", () => {
  test("lists every item as JSON Lines on stdout, in id order, in the item shape", async () => {
    const cwd = await setup();
    const r = await runCli(["items"], { cwd });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const items = jsonl(r.stdout);
    expect(items.map((i) => i.id)).toEqual([1, 2, 3, 4]);
    expect(items[0]).toEqual(FIRST);
    for (const item of items) expect(itemSchema.parse(item)).toEqual(item);
    expect(items[2]).toEqual({ id: 3, class: "Book", source: "books", url: null, data: { title: "A book" }, images: [], created_at: "2024-01-03T00:00:00.000Z", updated_at: "2024-01-03T00:00:00.000Z" });
  });

  test("--json prints one JSON array; --format json too", async () => {
    const cwd = await setup();
    const r = await runCli(["items", "--json"], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((i: { id: number }) => i.id)).toEqual([1, 2, 3, 4]);
    expect(JSON.parse((await runCli(["items", "--format", "json", "--class", "Book"], { cwd })).stdout)).toHaveLength(1);
  });

  const filters: [string, string[], number[]][] = [
    ["--class by name", ["--class", "Quote"], [1, 2, 4]],
    ["--class by id", ["--class", "2"], [3]],
    ["--source by name", ["--source", "more quotes"], [4]],
    ["--source by id", ["--source", "1"], [1, 2]],
    ["--class and --source", ["--class", "Book", "--source", "quotes"], []],
  ];
  test.each(filters)("%s", async (_name, args, ids) => {
    const cwd = await setup();
    const r = await runCli(["items", ...args], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout === "" ? [] : jsonl(r.stdout).map((i) => i.id)).toEqual(ids);
  });

  test("CSV: a header of the item's fields around the class's saved attrs in their order, quoted cells, lists as JSON", async () => {
    const cwd = await setup();
    const r = await runCli(["items", "--class", "Quote", "--format", "csv"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\r\n")).toEqual([
      "id,class,source,url,text,tags,data.url,picture,images,created_at,updated_at",
      `1,Quote,quotes,http://x/a/1,"“First”, said she","[""x"",""y""]",http://x/a/1,ab12.jpg,"[""thumbs/small/ab12.jpg"",""full/ab12.jpg""]",2024-01-02T03:04:05.000Z,2024-01-03T00:00:00.000Z`,
      `2,Quote,quotes,,"Second\nline",[],,,[],2024-01-02T03:04:05.000Z,2024-01-02T03:04:05.000Z`,
      `4,Quote,more quotes,,Elsewhere,"[""z""]",,,[],2024-01-03T00:00:00.000Z,2024-01-03T00:00:00.000Z`,
      "",
    ]);
  });

  test("CSV of one source needs no --class; CSV over several classes asks for it", async () => {
    const cwd = await setup();
    const one = await runCli(["items", "--source", "books", "--format", "csv"], { cwd });
    expect(one.code).toBe(0);
    expect(one.stdout.split("\r\n")[0]).toBe("id,class,source,url,title,images,created_at,updated_at");
    const several = await runCli(["items", "--format", "csv"], { cwd });
    expect(several.code).toBe(2);
    expect(several.stdout).toBe("");
    expect(several.stderr).toBe("dscraper: --format csv needs --class: the items are of 2 classes (Quote, Book), and CSV columns are one class's attrs\n");
  });

  test("--out FILE: the format from its extension, replaced whole; a summary on stdout (or as JSON)", async () => {
    const cwd = await setup();
    writeFileSync(join(cwd, "quotes.csv"), "an,old,file,with,more,lines\r\n".repeat(20));
    const r = await runCli(["items", "--class", "Quote", "--out", "quotes.csv"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("3 items written to quotes.csv (csv)\n");
    const lines = readFileSync(join(cwd, "quotes.csv"), "utf8").split("\r\n");
    expect(lines[0]).toBe("id,class,source,url,text,tags,data.url,picture,images,created_at,updated_at");
    // Header, three rows (one holds a quoted line break), and the final CRLF.
    expect(lines).toHaveLength(5);
    const json = await runCli(["items", "--out", "all.jsonl", "--json"], { cwd });
    expect(JSON.parse(json.stdout)).toEqual({ out: "all.jsonl", format: "jsonl", items: 4 });
    expect(jsonl(readFileSync(join(cwd, "all.jsonl"), "utf8"))[0]).toEqual(FIRST);
    const forced = await runCli(["items", "--out", "all.txt", "--format", "json"], { cwd });
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, "all.txt"), "utf8"))).toHaveLength(4);
    expect(readdirSync(cwd).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  const usage: [string, string[], string][] = [
    ["an unknown class", ["items", "--class", "Nope"], 'dscraper: no class named "Nope"\n'],
    ["an unknown class id", ["items", "--class", "99"], "dscraper: no class with id 99\n"],
    ["an unknown source", ["items", "--source", "nowhere"], 'dscraper: no source named "nowhere"\n'],
    ["an unknown format", ["items", "--format", "xml"], "dscraper: --format must be one of jsonl, json, csv, got 'xml'\n"],
    ["an --out without a known extension", ["items", "--out", "items.txt"], "dscraper: --out: 'items.txt' does not end in .jsonl, .json or .csv: give --format\n"],
    ["--json with CSV on stdout", ["items", "--json", "--format", "csv", "--class", "Quote"], "dscraper: --json prints JSON on stdout: drop --json for CSV, or write it with --out FILE\n"],
  ];
  test.each(usage)("%s: exit 2 naming it", async (_name, args, stderr) => {
    const cwd = await setup();
    const r = await runCli(args, { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(stderr);
    // No item on stdout (with --json, the error as JSON).
    if (args.includes("--json")) expect(JSON.parse(r.stdout).error.code).toBe("usage");
    else expect(r.stdout).toBe("");
    expect(existsSync(join(cwd, "items.txt"))).toBe(false);
  });

  test("a refused export leaves an existing --out file as it was", async () => {
    const cwd = await setup();
    writeFileSync(join(cwd, "keep.csv"), "kept\r\n");
    expect((await runCli(["items", "--class", "Nope", "--out", "keep.csv"], { cwd })).code).toBe(2);
    expect((await runCli(["items", "--out", "keep.csv"], { cwd })).code).toBe(2);
    expect(readFileSync(join(cwd, "keep.csv"), "utf8")).toBe("kept\r\n");
    expect(readdirSync(cwd).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("an empty database: nothing on stdout, a CSV of just its header", async () => {
    const cwd = tempDir();
    expect(await runCli(["items"], { cwd })).toEqual({ code: 0, stdout: "", stderr: "" });
    expect((await runCli(["items", "--json"], { cwd })).stdout).toBe("[]\n");
    expect((await runCli(["items", "--format", "csv"], { cwd })).stdout).toBe("id,class,source,url,images,created_at,updated_at\r\n");
  });
});
