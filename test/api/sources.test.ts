/** `/api/sources` on a real server and database: CRUD with runtimes, deletes refused or cascaded, list ETags. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queueJob } from "../../src/jobs/lifecycle.ts";
import { errorOf, startApi, type ApiServer } from "../support/api.ts";
import { QUOTE_CLASS, QUOTE_SCRAPER, QUOTE_SOURCE, seedItems } from "../support/api-fixtures.ts";

let api: ApiServer;
let classId: number;
beforeAll(async () => {
  api = await startApi({ settings: { rateLimit: 0 } });
  classId = ((await (await api.send("POST", "/api/classes", QUOTE_CLASS)).json()) as { id: number }).id;
  expect((await api.send("POST", "/api/scrapers", QUOTE_SCRAPER)).status).toBe(201);
  expect((await api.send("POST", "/api/scrapers", { ...QUOTE_SCRAPER, name: "other" })).status).toBe(201);
});
afterAll(() => api.close());

type SourceJson = { id: number; name: string; url: string; scraper: string; scraper_id: number; active: boolean; urls: string[]; runtime: { next_action_time: string; next_action_factor: number | null; num_zero_actions: number } | null };

async function create(body: Record<string, unknown>): Promise<SourceJson> {
  const response = await api.send("POST", "/api/sources", { ...QUOTE_SOURCE, ...body });
  expect(response.status).toBe(201);
  return (await response.json()) as SourceJson;
}

describe("POST, GET, PUT /api/sources", () => {
  test("a new source: its scraper by name and id, defaults, and a runtime due now (the API's clock)", async () => {
    const source = await create({ name: "fresh", urls: ["http://127.0.0.1:9/more/"] });
    expect(source).toEqual({
      id: source.id,
      scraper_id: source.scraper_id,
      name: "fresh",
      url: QUOTE_SOURCE.url,
      scraper: "quotes",
      active: true,
      urls: ["http://127.0.0.1:9/more/"],
      runtime: { next_action_time: api.clock.now().toISOString(), next_action_factor: null, num_zero_actions: 0 },
    });
    expect(await (await api.fetch(`/api/sources/${source.id}`)).json()).toEqual(source);
  });

  test("invalid bodies: 400 naming the field; an unknown scraper is named at `scraper`", async () => {
    const noScraper = await api.send("POST", "/api/sources", { ...QUOTE_SOURCE, name: "lost", scraper: "nobody" });
    expect((await errorOf(noScraper)).issues).toEqual([{ path: "scraper", message: 'scraper "nobody" does not exist' }]);
    const badUrl = await api.send("POST", "/api/sources", { name: "bad url", url: "ftp://x", scraper: "quotes", urls: ["nope"] });
    expect((await errorOf(badUrl)).issues).toEqual([
      { path: "url", message: "must be an absolute http(s) URL" },
      { path: "urls[0]", message: "must be an absolute http(s) URL" },
    ]);
    expect((await api.send("POST", "/api/sources", { ...QUOTE_SOURCE, name: "fresh" })).status).toBe(409);
  });

  test("PUT renames, moves to another scraper, deactivates; the runtime stays and its runnable flag follows", async () => {
    const source = await create({ name: "moving" });
    api.clock.advance(60_000);
    const response = await api.send("PUT", `/api/sources/${source.id}`, { ...QUOTE_SOURCE, name: "moved", scraper: "other", active: false });
    expect(response.status).toBe(200);
    const moved = (await response.json()) as SourceJson;
    expect(moved).toMatchObject({ id: source.id, name: "moved", scraper: "other", active: false, runtime: source.runtime });
    const flag = (await api.database.client.execute({ sql: "SELECT runnable FROM scheduler_runtimes WHERE source_id = ?", args: [source.id] })).rows[0]!.runnable;
    expect(Number(flag)).toBe(0);
    expect((await api.send("PUT", "/api/sources/999999", QUOTE_SOURCE)).status).toBe(404);
    expect((await api.fetch("/api/sources/999999")).status).toBe(404);
    expect((await api.send("PUT", `/api/sources/${source.id}`, { ...QUOTE_SOURCE, name: "fresh" })).status).toBe(409);
  });
});

describe("DELETE /api/sources/:id", () => {
  test("refused while a crawl of it is queued, naming the job", async () => {
    const source = await create({ name: "busy" });
    const job = await queueJob(api.database, { kind: "crawl", source_id: source.id, params: {} }, new Date());
    const response = await api.fetch(`/api/sources/${source.id}?cascade=true`, { method: "DELETE" });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).message).toBe(`source "busy" is being crawled by job ${job.id} (queued): cancel it first (POST /api/jobs/${job.id}/cancel)`);
  });

  test("with items: 409 without cascade; cascade deletes its items, runtimes and image files, not another source's", async () => {
    const doomed = await create({ name: "doomed" });
    const kept = await create({ name: "kept" });
    await seedItems(api.database, { classId, sourceId: doomed.id }, ["a", "b"], { store: api.images, prefix: "doomed" });
    await seedItems(api.database, { classId, sourceId: kept.id }, ["a"], { store: api.images, prefix: "kept" });
    const refused = await api.fetch(`/api/sources/${doomed.id}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect((await errorOf(refused)).message).toBe('source "doomed" still has 2 items: delete them with it by adding ?cascade=true (their image files go too)');
    expect((await api.fetch(`/api/sources/${doomed.id}?cascade=true`, { method: "DELETE" })).status).toBe(204);
    expect(await api.images.exists("doomed-a.jpg")).toBe(false);
    expect(await api.images.exists("kept-a.jpg")).toBe(true);
    const rows = await api.database.client.execute({ sql: "SELECT (SELECT count(*) FROM items WHERE source_id = ?) AS items, (SELECT count(*) FROM scheduler_runtimes WHERE source_id = ?) AS runtimes, (SELECT count(*) FROM item_counts WHERE source_id = ?) AS counts", args: [doomed.id, doomed.id, doomed.id] });
    expect(rows.rows[0]).toMatchObject({ items: 0, runtimes: 0, counts: 0 });
    expect((await api.fetch(`/api/sources/${doomed.id}`)).status).toBe(404);
    expect((await api.fetch(`/api/sources/${doomed.id}`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("list ETags", () => {
  test("GET /api/sources carries an ETag; If-None-Match with it is a 304; a change of a source or a runtime gives a new one", async () => {
    const first = await api.fetch("/api/sources?per_page=100");
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const body = await first.text();
    const again = await api.fetch("/api/sources?per_page=100", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");
    // Served again without a validator: the same body.
    expect(await (await api.fetch("/api/sources?per_page=100")).text()).toBe(body);
    expect((await api.fetch("/api/sources?per_page=100", { headers: { "if-none-match": `W/${etag}, "other"` } })).status).toBe(304);

    await api.database.client.execute("UPDATE scheduler_runtimes SET num_zero_actions = num_zero_actions + 1 WHERE runtime_type = 'S'");
    const afterRuntime = await api.fetch("/api/sources?per_page=100", { headers: { "if-none-match": etag } });
    expect(afterRuntime.status).toBe(200);
    const etag2 = afterRuntime.headers.get("etag")!;
    expect(etag2).not.toBe(etag);
    expect(await afterRuntime.text()).not.toBe(body);

    await create({ name: "newest" });
    const afterCreate = await api.fetch("/api/sources?per_page=100", { headers: { "if-none-match": etag2 } });
    expect(afterCreate.status).toBe(200);
    expect(((await afterCreate.json()) as { sources: SourceJson[] }).sources.at(-1)!.name).toBe("newest");
  });

  test("an item check runtime moving does not change the sources' ETag", async () => {
    const etag = (await api.fetch("/api/sources")).headers.get("etag")!;
    await api.database.client.execute("UPDATE scheduler_runtimes SET num_404 = num_404 + 1 WHERE runtime_type = 'C'");
    expect((await api.fetch("/api/sources", { headers: { "if-none-match": etag } })).status).toBe(304);
  });
});

test("every /api/sources route needs the token", async () => {
  for (const [method, path] of [["GET", "/api/sources"], ["POST", "/api/sources"], ["GET", "/api/sources/1"], ["PUT", "/api/sources/1"], ["DELETE", "/api/sources/1"]] as const) {
    const response = await fetch(`${api.url}${path}`, { method, headers: { "content-type": "application/json" }, ...(method === "POST" || method === "PUT" ? { body: JSON.stringify(QUOTE_SOURCE) } : {}) });
    expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 401`);
  }
});
