/** `/api/classes` on a real server and database: create, read, list, replace (and rename), delete with cascade. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errorOf, startApi, type ApiServer } from "../support/api.ts";
import { QUOTE_CLASS, QUOTE_SCRAPER, QUOTE_SOURCE, seedItems } from "../support/api-fixtures.ts";

let api: ApiServer;
beforeAll(async () => {
  api = await startApi({ settings: { rateLimit: 0 } });
});
afterAll(() => api.close());

async function created(body: unknown): Promise<{ id: number; name: string }> {
  const response = await api.send("POST", "/api/classes", body);
  expect(response.status).toBe(201);
  return (await response.json()) as { id: number; name: string };
}

describe("POST and GET /api/classes", () => {
  test("a class is created in the bundle's shape, defaults filled, its id added; GET shows it", async () => {
    const response = await api.client.api.classes.$post({ json: { name: "Book", attrs: [{ name: "base", attr_type: "B" }, { name: "title", attr_type: "S", id_field: true }] } });
    expect(response.status).toBe(201);
    const book = await response.json();
    expect(book.id).toBeNumber();
    expect(book).toMatchObject({ name: "Book", comments: "", attrs: [{ name: "base", attr_type: "B", order: 100, id_field: false, save_to_db: true, many: false }, { name: "title", id_field: true }] });
    expect(book.scraper_scheduler_conf).toMatchObject({ MIN_TIME: 15, MAX_TIME: 10080 });
    const again = await api.fetch(`/api/classes/${book.id}`);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(book);
  });

  test("an invalid class: 400 naming each field inside the body; nothing stored", async () => {
    const response = await api.send("POST", "/api/classes", { name: " Bad", attrs: [{ name: "base", attr_type: "B" }, { name: "other", attr_type: "B" }, { attr_type: "S" }], colour: 1 });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_input");
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: "name", message: "must not start or end with whitespace" },
        { path: "attrs[2].name", message: "is required" },
        { path: "colour", message: "unknown field" },
      ]),
    );
    const missing = await api.send("POST", "/api/classes", { name: "NoAttrs" });
    expect(await errorOf(missing)).toMatchObject({ issues: [{ path: "attrs", message: "is required" }] });
    const rules = await api.send("POST", "/api/classes", { name: "TwoBases", attrs: [{ name: "a", attr_type: "B" }, { name: "b", attr_type: "B" }] });
    expect((await errorOf(rules)).issues).toEqual([{ path: "attrs[1].attr_type", message: "needs exactly one BASE (B) attr, found 2" }]);
    const list = (await (await api.fetch("/api/classes")).json()) as { classes: { name: string }[] };
    expect(list.classes.map((c) => c.name)).not.toContain("TwoBases");
  });

  test("a name in use: 409 naming the class that has it", async () => {
    const first = await created({ ...QUOTE_CLASS, name: "Taken" });
    const response = await api.send("POST", "/api/classes", { ...QUOTE_CLASS, name: "Taken" });
    expect(response.status).toBe(409);
    expect(await errorOf(response)).toEqual({ code: "conflict", message: `a class named "Taken" already exists (id ${first.id}): change it with PUT /api/classes/${first.id}`, issues: [] });
  });

  test("GET of an id that does not exist is a 404; an id that is not a number a 400", async () => {
    const missing = await api.fetch("/api/classes/999999");
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: "not_found", message: "no class with id 999999", issues: [] });
    const bad = await api.fetch("/api/classes/abc");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues[0]!.path).toBe("id");
  });

  test("the list pages by id, with the total; per_page is capped; bad paging is a 400", async () => {
    for (const n of [1, 2, 3]) await created({ ...QUOTE_CLASS, name: `Paged ${n}` });
    const all = (await (await api.fetch("/api/classes?per_page=100000")).json()) as { classes: { id: number }[]; page: number; per_page: number; total: number };
    expect(all.per_page).toBe(500);
    expect(all.total).toBe(all.classes.length);
    expect(all.classes.map((c) => c.id)).toEqual([...all.classes.map((c) => c.id)].sort((a, b) => a - b));
    const second = (await (await api.fetch("/api/classes?per_page=2&page=2")).json()) as typeof all;
    expect(second).toMatchObject({ page: 2, per_page: 2, total: all.total });
    expect(second.classes.map((c) => c.id)).toEqual(all.classes.slice(2, 4).map((c) => c.id));
    const bad = await api.fetch("/api/classes?page=0&per_page=x");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues.map((i) => i.path).sort()).toEqual(["page", "per_page"]);
  });
});

describe("PUT /api/classes/:id", () => {
  test("replaces the class; a new name renames it, and its scrapers keep it", async () => {
    const cls = await created({ ...QUOTE_CLASS, name: "Renamed before" });
    expect((await api.send("POST", "/api/scrapers", { ...QUOTE_SCRAPER, name: "uses renamed", class: "Renamed before" })).status).toBe(201);
    const response = await api.send("PUT", `/api/classes/${cls.id}`, { ...QUOTE_CLASS, name: "Renamed after", comments: "now with comments" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: cls.id, name: "Renamed after", comments: "now with comments" });
    const scrapers = (await (await api.fetch("/api/scrapers?per_page=500")).json()) as { scrapers: { name: string; class: string; class_id: number }[] };
    expect(scrapers.scrapers.find((s) => s.name === "uses renamed")).toMatchObject({ class: "Renamed after", class_id: cls.id });
  });

  test("attrs its stored scrapers need cannot go: 400 naming the scraper, nothing changed", async () => {
    const cls = await created({ ...QUOTE_CLASS, name: "Needed" });
    expect((await api.send("POST", "/api/scrapers", { ...QUOTE_SCRAPER, name: "needs attrs", class: "Needed" })).status).toBe(201);
    const response = await api.send("PUT", `/api/classes/${cls.id}`, { name: "Needed", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }] });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).issues).toContainEqual({ path: "attrs", message: 'stored scraper "needs attrs" would no longer fit: elems[2].attr class "Needed" has no attr "author_url"' });
    expect(((await (await api.fetch(`/api/classes/${cls.id}`)).json()) as { attrs: unknown[] }).attrs).toHaveLength(4);
  });

  test("a name another class has: 409; an unknown id: 404; an invalid body: 400", async () => {
    const a = await created({ ...QUOTE_CLASS, name: "Put A" });
    await created({ ...QUOTE_CLASS, name: "Put B" });
    const clash = await api.send("PUT", `/api/classes/${a.id}`, { ...QUOTE_CLASS, name: "Put B" });
    expect(clash.status).toBe(409);
    expect((await errorOf(clash)).message).toMatch(/^another class is named "Put B" \(id \d+\)$/);
    expect((await api.send("PUT", "/api/classes/999999", QUOTE_CLASS)).status).toBe(404);
    const invalid = await api.send("PUT", `/api/classes/${a.id}`, { name: "Put A", attrs: "none" });
    expect(invalid.status).toBe(400);
    expect((await errorOf(invalid)).issues[0]!.path).toBe("attrs");
  });
});

describe("DELETE /api/classes/:id", () => {
  test("refused while a scraper uses it (409 naming it); then, with items, refused without cascade; cascade deletes items and image files", async () => {
    const cls = await created({ ...QUOTE_CLASS, name: "Doomed" });
    expect((await api.send("POST", "/api/scrapers", { ...QUOTE_SCRAPER, name: "doomed scraper", class: "Doomed" })).status).toBe(201);
    const source = (await (await api.send("POST", "/api/sources", { ...QUOTE_SOURCE, name: "doomed source", scraper: "doomed scraper" })).json()) as { id: number };
    await seedItems(api.database, { classId: cls.id, sourceId: source.id }, ["a", "b", "c"], { store: api.images, prefix: "doomed" });
    expect(await api.images.exists("doomed-a.jpg")).toBe(true);

    const used = await api.fetch(`/api/classes/${cls.id}`, { method: "DELETE" });
    expect(used.status).toBe(409);
    expect((await errorOf(used)).message).toBe('class "Doomed" is used by 1 scraper ("doomed scraper"): delete them or give them another class first');

    // The scraper moves to another class; the items stay the old class's.
    await created({ ...QUOTE_CLASS, name: "Refuge" });
    const scraper = (await (await api.fetch("/api/scrapers?per_page=500")).json()) as { scrapers: { id: number; name: string }[] };
    const moved = scraper.scrapers.find((s) => s.name === "doomed scraper")!;
    expect((await api.send("PUT", `/api/scrapers/${moved.id}`, { ...QUOTE_SCRAPER, name: "doomed scraper", class: "Refuge" })).status).toBe(200);

    const withItems = await api.fetch(`/api/classes/${cls.id}`, { method: "DELETE" });
    expect(withItems.status).toBe(409);
    expect((await errorOf(withItems)).message).toBe('class "Doomed" still has 3 items: delete them with it by adding ?cascade=true (their image files go too)');
    expect((await api.fetch(`/api/classes/${cls.id}?cascade=maybe`, { method: "DELETE" })).status).toBe(400);

    const cascade = await api.fetch(`/api/classes/${cls.id}?cascade=true`, { method: "DELETE" });
    expect(cascade.status).toBe(204);
    expect(await cascade.text()).toBe("");
    expect(await api.images.exists("doomed-a.jpg")).toBe(false);
    expect((await api.fetch(`/api/classes/${cls.id}`)).status).toBe(404);
    expect((await api.fetch(`/api/classes/${cls.id}`, { method: "DELETE" })).status).toBe(404);
    const items = (await api.database.client.execute({ sql: "SELECT count(*) AS n FROM items WHERE class_id = ?", args: [cls.id] })).rows[0]!.n;
    expect(Number(items)).toBe(0);
  });

  test("an unused class without items is deleted at once", async () => {
    const cls = await created({ ...QUOTE_CLASS, name: "Short-lived" });
    expect((await api.fetch(`/api/classes/${cls.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api.fetch(`/api/classes/${cls.id}`)).status).toBe(404);
  });
});

test("every /api/classes route needs the token", async () => {
  for (const [method, path] of [["GET", "/api/classes"], ["POST", "/api/classes"], ["GET", "/api/classes/1"], ["PUT", "/api/classes/1"], ["DELETE", "/api/classes/1"]] as const) {
    const response = await fetch(`${api.url}${path}`, { method, headers: { "content-type": "application/json" }, ...(method === "POST" || method === "PUT" ? { body: JSON.stringify(QUOTE_CLASS) } : {}) });
    expect(response.status).toBe(401);
  }
});
