/** `/api/items` on a real server and database: the list (order, filters, text search, paging, total), one item, delete, export. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { itemPageStatement } from "../../src/db/item-list.ts";
import { errorOf, startApi, type ApiServer } from "../support/api.ts";
import { QUOTE_CLASS, QUOTE_SCRAPER, QUOTE_SOURCE, seedItems } from "../support/api-fixtures.ts";

let api: ApiServer;
const ids: Record<string, number> = {};
const T1 = new Date(Date.UTC(2025, 0, 1));
const T2 = new Date(Date.UTC(2025, 0, 2));

type ItemJson = { id: number; class: string; source: string; url: string | null; data: Record<string, unknown>; images: string[]; created_at: string; updated_at: string };
type Page = { items: ItemJson[]; page: number; per_page: number; total: number; total_capped: boolean };

async function list(query = ""): Promise<Page> {
  const response = await api.fetch(`/api/items${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}
const texts = (page: Page) => page.items.map((i) => i.data.text);

beforeAll(async () => {
  api = await startApi({ settings: { rateLimit: 0 } });
  const post = async (path: string, body: unknown) => ((await (await api.send("POST", path, body)).json()) as { id: number }).id;
  ids.quote = await post("/api/classes", QUOTE_CLASS);
  ids.book = await post("/api/classes", { name: "Book", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }, { name: "tags", attr_type: "S", many: true }] });
  await post("/api/scrapers", QUOTE_SCRAPER);
  await post("/api/scrapers", { name: "books", class: "Book", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//li" }, { attr: "text", x_path: "text()" }] });
  ids.s1 = await post("/api/sources", { ...QUOTE_SOURCE, name: "one" });
  ids.s2 = await post("/api/sources", { ...QUOTE_SOURCE, name: "two" });
  ids.s3 = await post("/api/sources", { ...QUOTE_SOURCE, name: "3", scraper: "books" });
  await seedItems(api.database, { classId: ids.quote!, sourceId: ids.s1! }, ["alpha", "beta"], { at: T1, store: api.images, prefix: "one" });
  await seedItems(api.database, { classId: ids.quote!, sourceId: ids.s2! }, ['Épsilon "quoted" 100%', "delta"], { at: T1 });
  await seedItems(api.database, { classId: ids.quote!, sourceId: ids.s1! }, ["gamma"], { at: T2, store: api.images, prefix: "one" });
  await seedItems(api.database, { classId: ids.book!, sourceId: ids.s3! }, ["a book"], { at: T1 });
});
afterAll(() => api.close());

describe("GET /api/items", () => {
  test("newest first, then by id (highest first); the item shape; the total", async () => {
    const page = await list();
    expect(texts(page)).toEqual(["gamma", "a book", "delta", 'Épsilon "quoted" 100%', "beta", "alpha"]);
    expect(page).toMatchObject({ page: 1, per_page: 50, total: 6, total_capped: false });
    const gamma = page.items[0]!;
    expect(gamma).toEqual({
      id: gamma.id,
      class: "Quote",
      source: "one",
      url: "http://127.0.0.1:9/a/gamma",
      data: { text: "gamma", photo: "one-gamma.jpg" },
      images: ["one-gamma.jpg"],
      created_at: T2.toISOString(),
      updated_at: T2.toISOString(),
    });
  });

  test("class and source filters take an id or a name (a source named '3' is found by name only as a name, since digits mean an id)", async () => {
    expect(texts(await list("?class=Book"))).toEqual(["a book"]);
    expect(texts(await list(`?class=${ids.quote}&source=one`))).toEqual(["gamma", "beta", "alpha"]);
    expect((await list(`?source=${ids.s2}`)).total).toBe(2);
    expect((await list(`?source=${ids.s3}`)).items[0]!.source).toBe("3");
    const unknown = await api.fetch("/api/items?class=Nope&source=999999");
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).issues).toEqual([{ path: "class", message: 'no class named "Nope"' }]);
    expect((await errorOf(await api.fetch("/api/items?source=999999"))).issues).toEqual([{ path: "source", message: "no source with id 999999" }]);
  });

  test("q finds a text in the values (any case for ASCII), never in attr names; LIKE's wildcards and quotes match literally", async () => {
    expect(texts(await list("?q=ALPH"))).toEqual(["alpha"]);
    expect((await list("?q=text")).items).toEqual([]);
    expect(texts(await list(`?q=${encodeURIComponent('"quoted"')}`))).toEqual(['Épsilon "quoted" 100%']);
    expect(texts(await list("?q=100%25"))).toEqual(['Épsilon "quoted" 100%']);
    expect((await list("?q=_")).items).toEqual([]);
    expect((await list("?q=%25")).total).toBe(1);
    const filtered = await list("?q=a&source=one");
    expect(texts(filtered)).toEqual(["gamma", "beta", "alpha"]);
    expect(filtered).toMatchObject({ total: 3, total_capped: false });
  });

  test("paging: page and per_page, a stable order across pages, per_page capped at 500, bad values are 400s", async () => {
    const all = texts(await list());
    const pages = [];
    for (let p = 1; p <= 3; p++) pages.push(...texts(await list(`?per_page=2&page=${p}`)));
    expect(pages).toEqual(all);
    expect((await list("?page=9")).items).toEqual([]);
    expect((await list("?per_page=9999")).per_page).toBe(500);
    const bad = await api.fetch("/api/items?per_page=0&page=-1");
    expect((await errorOf(bad)).issues.map((i) => i.path).sort()).toEqual(["page", "per_page"]);
  });

  test("the list has an ETag: 304 until an item changes", async () => {
    const first = await api.fetch("/api/items?class=Quote");
    const etag = first.headers.get("etag")!;
    expect((await api.fetch("/api/items?class=Quote", { headers: { "if-none-match": etag } })).status).toBe(304);
    await seedItems(api.database, { classId: ids.book!, sourceId: ids.s3! }, ["another book"], { at: T1 });
    const changed = await api.fetch("/api/items?class=Quote", { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    await api.database.client.execute({ sql: "DELETE FROM items WHERE json_extract(data, '$.text') = 'another book'" });
  });

  test("the page query reads an index newest first, without sorting, for every filter", async () => {
    for (const query of [{}, { classId: 1 }, { sourceId: 1 }, { classId: 1, sourceId: 1 }]) {
      const statement = itemPageStatement(query, 0, 50);
      const plan = (await api.database.client.execute({ sql: `EXPLAIN QUERY PLAN ${typeof statement === "string" ? statement : statement.sql}`, args: typeof statement === "string" ? [] : statement.args })).rows.map((r) => String(r.detail));
      expect(plan.join("\n")).not.toContain("TEMP B-TREE");
      expect(plan.find((d) => d.includes("items"))).toMatch(/USING INDEX items_(newest|source_newest|class_newest)/);
    }
  });
});

describe("GET and DELETE /api/items/:id", () => {
  test("one item by id; 404 for none; 400 for an id that is not a number", async () => {
    const [newest] = (await list()).items;
    expect(await (await api.fetch(`/api/items/${newest!.id}`)).json()).toEqual(newest!);
    const missing = await api.fetch("/api/items/999999");
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: "not_found", message: "no item with id 999999", issues: [] });
    expect((await api.fetch("/api/items/first")).status).toBe(400);
  });

  test("DELETE removes the item, its runtime and its image file; then 404", async () => {
    const beta = (await list("?q=beta")).items[0]!;
    expect(await api.images.exists("one-beta.jpg")).toBe(true);
    const response = await api.fetch(`/api/items/${beta.id}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(await api.images.exists("one-beta.jpg")).toBe(false);
    expect(await api.images.exists("one-alpha.jpg")).toBe(true);
    expect((await api.fetch(`/api/items/${beta.id}`)).status).toBe(404);
    expect((await api.fetch(`/api/items/${beta.id}`, { method: "DELETE" })).status).toBe(404);
    const runtimes = (await api.database.client.execute({ sql: "SELECT count(*) AS n FROM scheduler_runtimes WHERE item_id = ?", args: [beta.id] })).rows[0]!.n;
    expect(Number(runtimes)).toBe(0);
    expect((await list()).total).toBe(5);
  });
});

describe("GET /api/items/export", () => {
  test("JSON Lines: every item of the filter in id order, in the item shape", async () => {
    const response = await api.fetch("/api/items/export?source=one");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await response.text()).trimEnd().split("\n").map((l) => JSON.parse(l) as ItemJson);
    expect(lines.map((i) => i.data.text)).toEqual(["alpha", "gamma"]);
    expect(lines[1]).toEqual((await list("?q=gamma")).items[0]!);
  });

  test("CSV: a header of the class's saved attrs; over several classes it needs class (400)", async () => {
    const response = await api.fetch("/api/items/export?format=csv&class=Quote");
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const rows = (await response.text()).split("\r\n");
    expect(rows[0]).toBe("id,class,source,url,text,author_url,photo,images,created_at,updated_at");
    expect(rows.filter(Boolean)).toHaveLength(5);
    expect(rows[2]).toContain(',"Épsilon ""quoted"" 100%",');
    const mixed = await api.fetch("/api/items/export?format=csv");
    expect(mixed.status).toBe(400);
    expect((await errorOf(mixed)).issues).toEqual([{ path: "class", message: "is required for CSV: the items are of 2 classes (Quote, Book), and CSV columns are one class's attrs" }]);
    expect((await errorOf(await api.fetch("/api/items/export?format=xml"))).issues).toEqual([{ path: "format", message: "must be jsonl or csv" }]);
  });

  test("an empty export: no lines, or the CSV header alone", async () => {
    expect(await (await api.fetch("/api/items/export?source=3&class=Quote")).text()).toBe("");
    expect(await (await api.fetch("/api/items/export?source=3&class=Quote&format=csv")).text()).toBe("id,class,source,url,text,author_url,photo,images,created_at,updated_at\r\n");
  });
});

test("every /api/items route needs the token", async () => {
  for (const [method, path] of [["GET", "/api/items"], ["GET", "/api/items/1"], ["DELETE", "/api/items/1"], ["GET", "/api/items/export"]] as const) {
    const response = await fetch(`${api.url}${path}`, { method });
    expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 401`);
  }
});
