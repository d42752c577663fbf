/** `/api/scrapers` on a real server and database: CRUD, the runnable flag of runtimes, clone, checker test. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errorOf, startApi, type ApiServer } from "../support/api.ts";
import { QUOTE_CLASS, QUOTE_SCRAPER, QUOTE_SOURCE } from "../support/api-fixtures.ts";
import { startSite, type Site } from "../support/site.ts";

let api: ApiServer;
let site: Site;
beforeAll(async () => {
  api = await startApi({ settings: { rateLimit: 0 } });
  site = startSite({ "/gone": { status: 404, body: "gone" }, "/here": "<html><body><p>still here</p></body></html>" });
  expect((await api.send("POST", "/api/classes", QUOTE_CLASS)).status).toBe(201);
});
afterAll(async () => {
  await api.close();
  await site.close();
});

type ScraperJson = { id: number; name: string; class: string; class_id: number; status: string; checkers: unknown[] };

async function create(body: Record<string, unknown>): Promise<ScraperJson> {
  const response = await api.send("POST", "/api/scrapers", { ...QUOTE_SCRAPER, ...body });
  expect(response.status).toBe(201);
  return (await response.json()) as ScraperJson;
}

async function runnable(sourceId: number): Promise<number> {
  const row = (await api.database.client.execute({ sql: "SELECT runnable FROM scheduler_runtimes WHERE source_id = ?", args: [sourceId] })).rows[0]!;
  return Number(row.runnable);
}

describe("POST, GET, PUT, DELETE /api/scrapers", () => {
  test("created with its class by name; the answer adds id and class_id; GET gives the same", async () => {
    const scraper = await create({ name: "crud" });
    expect(scraper).toMatchObject({ name: "crud", class: "Quote", status: "ACTIVE", pagination_type: "NONE", max_items_read: null });
    expect(scraper.class_id).toBeNumber();
    expect(await (await api.fetch(`/api/scrapers/${scraper.id}`)).json()).toEqual(scraper);
  });

  test("an invalid scraper: 400 with paths inside the body (elems[1].x_path, class), nothing stored", async () => {
    const response = await api.send("POST", "/api/scrapers", { ...QUOTE_SCRAPER, name: "broken", elems: [QUOTE_SCRAPER.elems[0], { attr: "text", x_path: "span[" }, QUOTE_SCRAPER.elems[2]] });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.issues.map((i) => i.path)).toEqual(["elems[1].x_path"]);
    const noClass = await api.send("POST", "/api/scrapers", { ...QUOTE_SCRAPER, name: "orphan", class: "Nowhere" });
    expect(await errorOf(noClass)).toEqual({ code: "invalid_input", message: 'class: class "Nowhere" does not exist', issues: [{ path: "class", message: 'class "Nowhere" does not exist' }] });
    const wrongAttr = await api.send("POST", "/api/scrapers", { ...QUOTE_SCRAPER, name: "wrong attr", elems: [...QUOTE_SCRAPER.elems, { attr: "nope", x_path: "//x" }] });
    expect((await errorOf(wrongAttr)).issues).toEqual([{ path: "elems[3].attr", message: 'class "Quote" has no attr "nope"' }]);
    const names = ((await (await api.fetch("/api/scrapers?per_page=500")).json()) as { scrapers: { name: string }[] }).scrapers.map((s) => s.name);
    expect(names).not.toContain("broken");
    expect(names).not.toContain("orphan");
  });

  test("a status change moves the runnable flag of its sources' runtimes (the tick's partial index)", async () => {
    const scraper = await create({ name: "flagged" });
    const source = (await (await api.send("POST", "/api/sources", { ...QUOTE_SOURCE, name: "flagged source", scraper: "flagged" })).json()) as { id: number };
    expect(await runnable(source.id)).toBe(1);
    const paused = await api.send("PUT", `/api/scrapers/${scraper.id}`, { ...QUOTE_SCRAPER, name: "flagged", status: "PAUSED" });
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as ScraperJson).status).toBe("PAUSED");
    expect(await runnable(source.id)).toBe(0);
    expect((await api.send("PUT", `/api/scrapers/${scraper.id}`, { ...QUOTE_SCRAPER, name: "flagged renamed", status: "ACTIVE" })).status).toBe(200);
    expect(await runnable(source.id)).toBe(1);
    const src = (await (await api.fetch(`/api/sources/${source.id}`)).json()) as { scraper: string };
    expect(src.scraper).toBe("flagged renamed");
  });

  test("PUT: unknown id 404, a name in use 409, invalid body 400; DELETE: used by a source 409, else 204, then 404", async () => {
    const a = await create({ name: "put a" });
    await create({ name: "put b" });
    expect((await api.send("PUT", "/api/scrapers/999999", QUOTE_SCRAPER)).status).toBe(404);
    expect((await api.send("PUT", `/api/scrapers/${a.id}`, { ...QUOTE_SCRAPER, name: "put b" })).status).toBe(409);
    const invalid = await api.send("PUT", `/api/scrapers/${a.id}`, { ...QUOTE_SCRAPER, name: "put a", status: "SOMETIMES" });
    expect(invalid.status).toBe(400);
    expect((await errorOf(invalid)).issues[0]!.path).toBe("status");

    expect((await api.send("POST", "/api/sources", { ...QUOTE_SOURCE, name: "keeps a", scraper: "put a" })).status).toBe(201);
    const used = await api.fetch(`/api/scrapers/${a.id}`, { method: "DELETE" });
    expect(used.status).toBe(409);
    expect((await errorOf(used)).message).toBe('scraper "put a" is used by 1 source ("keeps a"): delete them or give them another scraper first');
    const b = (await (await api.fetch("/api/scrapers?per_page=500")).json()) as { scrapers: ScraperJson[] };
    const unused = b.scrapers.find((s) => s.name === "put b")!;
    expect((await api.fetch(`/api/scrapers/${unused.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api.fetch(`/api/scrapers/${unused.id}`)).status).toBe(404);
    expect((await api.fetch(`/api/scrapers/${unused.id}`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("POST /api/scrapers/:id/clone", () => {
  test('a PAUSED copy named "NAME (COPY)", then "(COPY 2)"; a copy of a copy adds its own suffix', async () => {
    const original = await create({ name: "cloned", comments: "the original" });
    const first = await api.fetch(`/api/scrapers/${original.id}/clone`, { method: "POST" });
    expect(first.status).toBe(201);
    const copy = (await first.json()) as ScraperJson & { comments: string; elems: unknown[] };
    expect(copy).toMatchObject({ name: "cloned (COPY)", status: "PAUSED", class: "Quote", comments: "the original", elems: QUOTE_SCRAPER.elems.map((e) => expect.objectContaining(e)) });
    expect(copy.id).not.toBe(original.id);
    const second = (await (await api.fetch(`/api/scrapers/${original.id}/clone`, { method: "POST" })).json()) as ScraperJson;
    expect(second.name).toBe("cloned (COPY 2)");
    const third = (await (await api.fetch(`/api/scrapers/${copy.id}/clone`, { method: "POST" })).json()) as ScraperJson;
    expect(third.name).toBe("cloned (COPY) (COPY)");
    // The original is untouched.
    expect(((await (await api.fetch(`/api/scrapers/${original.id}`)).json()) as ScraperJson).status).toBe("ACTIVE");
  });

  test("cloning an unknown scraper is a 404", async () => {
    const response = await api.fetch("/api/scrapers/999999/clone", { method: "POST" });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).message).toBe("no scraper with id 999999");
  });
});

describe("POST /api/scrapers/:id/checker-test", () => {
  test("each checker requests its ref URL and is judged; the answer has a summary and the results", async () => {
    const scraper = await create({
      name: "tested",
      checkers: [
        { attr: "author_url", checker_type: "404", checker_ref_url: `${site.url}/gone` },
      ],
    });
    const response = await api.fetch(`/api/scrapers/${scraper.id}/checker-test`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      scraper: { id: scraper.id, name: "tested", status: "ACTIVE" },
      summary: { OK: 1, WARNING: 0, ERROR: 0 },
      results: [{ scraper: "tested", attr: "author_url", checker_type: "404", ref_url: `${site.url}/gone`, result: "OK", detail: "HTTP 404: the checker would delete an item answering like this" }],
    });
    expect(site.count("/gone")).toBe(1);
    const warned = await create({ name: "tested here", checkers: [{ attr: "author_url", checker_type: "404", checker_ref_url: `${site.url}/here` }] });
    const body = (await (await api.fetch(`/api/scrapers/${warned.id}/checker-test`, { method: "POST" })).json()) as { summary: Record<string, number> };
    expect(body.summary).toEqual({ OK: 0, WARNING: 1, ERROR: 0 });
  });

  test("a scraper without checkers: 409; an unknown one: 404", async () => {
    const bare = await create({ name: "no checkers", checkers: [] });
    const response = await api.fetch(`/api/scrapers/${bare.id}/checker-test`, { method: "POST" });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).message).toBe('scraper "no checkers" has no checkers to test');
    expect((await api.fetch("/api/scrapers/999999/checker-test", { method: "POST" })).status).toBe(404);
  });
});

test("every /api/scrapers route needs the token", async () => {
  const routes = [["GET", "/api/scrapers"], ["POST", "/api/scrapers"], ["GET", "/api/scrapers/1"], ["PUT", "/api/scrapers/1"], ["DELETE", "/api/scrapers/1"], ["POST", "/api/scrapers/1/clone"], ["POST", "/api/scrapers/1/checker-test"]] as const;
  for (const [method, path] of routes) {
    const response = await fetch(`${api.url}${path}`, { method, headers: { "content-type": "application/json" }, ...(method === "GET" || method === "DELETE" ? {} : { body: JSON.stringify(QUOTE_SCRAPER) }) });
    expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 401`);
  }
});
