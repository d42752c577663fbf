/** `GET /api/stats`, `GET /api/logs` and `/api/log-markers` on a real server and database. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { saveLogRows } from "../../src/db/logs.ts";
import { JobLog } from "../../src/jobs/log.ts";
import { errorOf, startApi, type ApiServer } from "../support/api.ts";
import { QUOTE_CLASS, QUOTE_SCRAPER, QUOTE_SOURCE, seedItems } from "../support/api-fixtures.ts";

let api: ApiServer;
const ids: Record<string, number> = {};
const HOUR = 3_600_000;

beforeAll(async () => {
  api = await startApi({ settings: { rateLimit: 0 } });
  const post = async (path: string, body: unknown) => ((await (await api.send("POST", path, body)).json()) as { id: number }).id;
  ids.quote = await post("/api/classes", QUOTE_CLASS);
  ids.other = await post("/api/classes", { ...QUOTE_CLASS, name: "Empty" });
  ids.scraper = await post("/api/scrapers", QUOTE_SCRAPER);
  ids.second = await post("/api/scrapers", { ...QUOTE_SCRAPER, name: "second" });
  ids.one = await post("/api/sources", { ...QUOTE_SOURCE, name: "one" });
  ids.two = await post("/api/sources", { ...QUOTE_SOURCE, name: "two" });
});
afterAll(() => api.close());

async function job(values: { status: string; source: number; finished?: number; dry?: boolean; kind?: string }): Promise<number> {
  const result = await api.database.client.execute({
    sql: "INSERT INTO jobs (kind, status, source_id, dry_run, update_schedule, params, stats, created_at, finished_at, attempt) VALUES (?, ?, ?, ?, 0, '{}', '{}', ?, ?, 1) RETURNING id",
    args: [values.kind ?? "crawl", values.status, values.source, values.dry ? 1 : 0, values.finished ?? 0, values.finished ?? null],
  });
  return Number(result.rows[0]!.id);
}

describe("GET /api/stats", () => {
  test("items per class and source, the last 24 h and 7 days by the API's clock, jobs per status, each source's last success", async () => {
    const now = api.clock.now().getTime();
    await seedItems(api.database, { classId: ids.quote!, sourceId: ids.one! }, ["new 1", "new 2"], { at: new Date(now - HOUR) });
    await seedItems(api.database, { classId: ids.quote!, sourceId: ids.one! }, ["days"], { at: new Date(now - 3 * 24 * HOUR) });
    await seedItems(api.database, { classId: ids.quote!, sourceId: ids.two! }, ["old"], { at: new Date(now - 30 * 24 * HOUR) });
    await job({ status: "succeeded", source: ids.one!, finished: now - 5 * HOUR });
    await job({ status: "succeeded", source: ids.one!, finished: now - 2 * HOUR });
    await job({ status: "succeeded", source: ids.one!, finished: now - HOUR, dry: true });
    await job({ status: "failed", source: ids.one!, finished: now - 30 * 60_000 });
    await job({ status: "succeeded", source: ids.two!, finished: now - 10 * HOUR, kind: "check" });
    await job({ status: "queued", source: ids.two! });

    const response = await api.fetch("/api/stats");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as { sources: { next_action_time: string | null }[] };
    expect(body as unknown).toEqual({
      items: { total: 4, by_class: { Quote: 4, Empty: 0 }, by_source: { one: 3, two: 1 }, last_24h: 2, last_7d: 3 },
      jobs: { by_status: { queued: 1, running: 0, succeeded: 4, failed: 1, cancelled: 0 } },
      sources: [
        { id: ids.one, name: "one", scraper: "quotes", items: 3, last_success_at: new Date(now - 2 * HOUR).toISOString(), next_action_time: body.sources[0]!.next_action_time },
        { id: ids.two, name: "two", scraper: "quotes", items: 1, last_success_at: null, next_action_time: body.sources[1]!.next_action_time },
      ],
    });
    expect(body.sources[0]!.next_action_time).toBe(new Date(now).toISOString());
  });

  test("each source's last success is read through the partial index", async () => {
    const plan = await api.database.client.execute("EXPLAIN QUERY PLAN SELECT max(finished_at) FROM jobs WHERE jobs.source_id = 1 AND kind = 'crawl' AND status = 'succeeded' AND dry_run = 0");
    expect(plan.rows.map((r) => String(r.detail)).join("\n")).toContain("jobs_last_success");
  });

  test("needs the token", async () => {
    expect((await fetch(`${api.url}/api/stats`)).status).toBe(401);
  });
});

describe("GET /api/logs", () => {
  beforeAll(async () => {
    const at = (minutes: number) => new Date(Date.UTC(2025, 0, 1, 0, minutes));
    const job1 = await job({ status: "failed", source: ids.one!, finished: 1 });
    ids.job1 = job1;
    await saveLogRows(api.database, [
      { message: "page 1 failed", ref_object: "http://x/1", level: "ERROR", date: at(1), type: null, scraper_id: ids.scraper!, job_id: job1 },
      { message: "started", ref_object: null, level: "INFO", date: at(2), type: null, scraper_id: ids.scraper!, job_id: job1 },
      { message: "timeout on page 2", ref_object: null, level: "WARNING", date: at(3), type: "planned_error", scraper_id: ids.scraper!, job_id: job1 },
      { message: "all broken", ref_object: null, level: "CRITICAL", date: at(4), type: null, scraper_id: ids.second!, job_id: null },
    ]);
  });

  test("newest first, in the log shape, with the scraper's name", async () => {
    const body = (await (await api.fetch("/api/logs")).json()) as { logs: { message: string }[]; total: number };
    expect(body.logs.map((l) => l.message)).toEqual(["all broken", "timeout on page 2", "started", "page 1 failed"]);
    expect(body.total).toBe(4);
    expect(body.logs[3] as unknown).toEqual({ id: expect.any(Number), date: "2025-01-01T00:01:00.000Z", level: "ERROR", message: "page 1 failed", ref_object: "http://x/1", type: null, scraper_id: ids.scraper, scraper: "quotes", job_id: ids.job1 });
  });

  test("filters: scraper (id or name), job, level (that level or above, any case), type; paged", async () => {
    const messages = async (q: string) => ((await (await api.fetch(`/api/logs${q}`)).json()) as { logs: { message: string }[] }).logs.map((l) => l.message);
    expect(await messages("?scraper=second")).toEqual(["all broken"]);
    expect(await messages(`?scraper=${ids.scraper}&level=warning`)).toEqual(["timeout on page 2", "page 1 failed"]);
    expect(await messages(`?job=${ids.job1}&type=planned_error`)).toEqual(["timeout on page 2"]);
    expect(await messages("?level=ERROR&per_page=1&page=2")).toEqual(["page 1 failed"]);
    const bad = await api.fetch("/api/logs?level=LOUD&type=odd&job=x&scraper=nobody");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues.map((i) => i.path).sort()).toEqual(["job", "level", "type"]);
    expect((await errorOf(await api.fetch("/api/logs?scraper=nobody"))).issues).toEqual([{ path: "scraper", message: 'no scraper named "nobody"' }]);
  });

  test("an ETag that changes when a row is stored", async () => {
    const etag = (await api.fetch("/api/logs")).headers.get("etag")!;
    expect((await api.fetch("/api/logs", { headers: { "if-none-match": etag } })).status).toBe(304);
    await saveLogRows(api.database, [{ message: "later", ref_object: null, level: "ERROR", date: new Date(), type: null, scraper_id: null, job_id: null }]);
    expect((await api.fetch("/api/logs", { headers: { "if-none-match": etag } })).status).toBe(200);
  });

  test("needs the token", async () => {
    expect((await fetch(`${api.url}/api/logs`)).status).toBe(401);
  });
});

describe("/api/log-markers", () => {
  test("created (scraper by name), listed, applied to rows stored afterwards, deleted", async () => {
    const response = await api.send("POST", "/api/log-markers", { message_contains: "robots", scraper: "second", mark_with_type: "important" });
    expect(response.status).toBe(201);
    const marker = (await response.json()) as { id: number };
    expect(marker as unknown).toEqual({ id: marker.id, message_contains: "robots", ref_object: null, scraper: "second", scraper_id: ids.second, mark_with_type: "important", custom_type: "" });
    const list = (await (await api.fetch("/api/log-markers")).json()) as { log_markers: unknown[]; total: number };
    expect(list).toMatchObject({ total: 1, log_markers: [marker] });

    // A job of that scraper stores a matching row: typed by the marker.
    const log = new JobLog(api.database, { job_id: null, source_id: null, scraper_id: ids.second! }, { level: "INFO", limit: 100, sink: () => {}, clock: api.clock });
    log.log("ERROR", "blocked by robots.txt");
    await log.flush();
    const typed = (await (await api.fetch("/api/logs?type=important")).json()) as { logs: { message: string }[] };
    expect(typed.logs.map((l) => l.message)).toEqual(["blocked by robots.txt"]);

    expect((await api.fetch(`/api/log-markers/${marker.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api.fetch(`/api/log-markers/${marker.id}`, { method: "DELETE" })).status).toBe(404);
    expect(((await (await api.fetch("/api/log-markers")).json()) as { total: number }).total).toBe(0);
  });

  test("invalid markers: 400 naming the field; an unknown scraper at `scraper`", async () => {
    const missing = await api.send("POST", "/api/log-markers", { mark_with_type: "custom" });
    expect((await errorOf(missing)).issues).toEqual(expect.arrayContaining([{ path: "message_contains", message: "is required" }]));
    const custom = await api.send("POST", "/api/log-markers", { message_contains: "x", mark_with_type: "custom" });
    expect((await errorOf(custom)).issues).toEqual([{ path: "custom_type", message: "is required when mark_with_type is custom" }]);
    const unknown = await api.send("POST", "/api/log-markers", { message_contains: "x", mark_with_type: "misc", scraper: "nobody" });
    expect((await errorOf(unknown)).issues).toEqual([{ path: "scraper", message: 'scraper "nobody" does not exist' }]);
    expect((await api.fetch("/api/log-markers/abc", { method: "DELETE" })).status).toBe(400);
  });

  test("every route needs the token", async () => {
    for (const [method, path] of [["GET", "/api/log-markers"], ["POST", "/api/log-markers"], ["DELETE", "/api/log-markers/1"]] as const) {
      expect((await fetch(`${api.url}${path}`, { method })).status).toBe(401);
    }
  });
});
