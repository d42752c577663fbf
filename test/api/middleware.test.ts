/**
 * The API's cross-cutting behaviour, on a real server over a real database: auth, body limit, rate limit (driven
 * by the test's clock), error shapes (validation, malformed JSON, unknown routes, internal errors), request ids
 * and the access log.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FsBlobStore } from "../../cli/fs-blob-store.ts";
import { HEALTH_TTL_MS } from "../../src/api/health.ts";
import { errorOf, startApi, TEST_TOKEN, type ApiServer } from "../support/api.ts";
import { tempDatabase, tempDir } from "../support/temp.ts";

const BUNDLE = {
  classes: [{ name: "Quote", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }] }],
  scrapers: [{ name: "quotes", class: "Quote", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//div" }, { attr: "text", x_path: "p/text()" }] }],
  sources: [{ name: "quotes", url: "http://127.0.0.1:9/", scraper: "quotes" }],
};

let api: ApiServer;
beforeAll(async () => {
  api = await startApi({ settings: { bodyLimit: 4096, rateLimit: 0 } });
});
afterAll(() => api.close());

describe("auth", () => {
  test("every route but health needs the bearer token: 401 in the error shape, with WWW-Authenticate", async () => {
    for (const path of ["/api/export", "/api/openapi.json", "/api/schema.json", "/api/docs", "/api/nowhere"]) {
      const response = await fetch(`${api.url}${path}`);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="dscraper"');
      expect(await errorOf(response)).toEqual({ code: "unauthorized", message: "this API needs a token: send Authorization: Bearer <DSCRAPER_API_TOKEN>", issues: [] });
    }
  });

  test("a wrong token, another scheme or a malformed header is a 401 too (never a 400)", async () => {
    for (const authorization of [`Bearer ${TEST_TOKEN}x`, `Bearer ${TEST_TOKEN.slice(0, -1)}`, `Basic ${btoa(`u:${TEST_TOKEN}`)}`, "Bearer", `Bearer ${TEST_TOKEN} extra`]) {
      const response = await fetch(`${api.url}/api/export`, { headers: { authorization } });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).message).toBe("the Authorization header does not carry the API's bearer token");
    }
  });

  test("the token opens every route; health needs none", async () => {
    expect((await api.fetch("/api/export")).status).toBe(200);
    expect((await fetch(`${api.url}/api/export`, { headers: { authorization: `bearer ${TEST_TOKEN}` } })).status).toBe(200);
    const health = await fetch(`${api.url}/api/health`);
    expect(health.status).toBe(200);
    expect((await fetch(`${api.url}/api/health`, { method: "POST" })).status).toBe(401);
  });

  test("without a configured token the API is open", async () => {
    const open = await startApi({ token: null });
    try {
      expect((await fetch(`${open.url}/api/export`)).status).toBe(200);
      expect((await fetch(`${open.url}/api/openapi.json`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe("errors", () => {
  test("a body that breaks the schema: 400 naming each field by its bracket path, nothing stored", async () => {
    const bad = structuredClone(BUNDLE) as Record<string, unknown[]>;
    bad.scrapers = [{ ...BUNDLE.scrapers[0], elems: [BUNDLE.scrapers[0]!.elems[0], { attr: "text", x_path: "p[" }], colour: "red" }];
    bad.sources = [{ name: "quotes", scraper: "quotes" }];
    const response = await api.send("POST", "/api/import", bad);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_input");
    expect(error.issues).toContainEqual({ path: "scrapers[0].colour", message: "unknown field" });
    expect(error.issues).toContainEqual({ path: "sources[0].url", message: "is required" });
    expect(error.issues.map((i) => i.path)).toContain("scrapers[0].elems[1].x_path");
    expect(await (await api.fetch("/api/export")).json()).toEqual({ classes: [], scrapers: [], sources: [] });
  });

  test("malformed JSON is a 400 in the same shape", async () => {
    const response = await api.fetch("/api/import", { method: "POST", headers: { "content-type": "application/json" }, body: '{"classes": [' });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("bad_request");
    expect(error.message).toMatch(/JSON/);
    expect(error.issues).toEqual([]);
  });

  test("an unknown route is a 404 naming it", async () => {
    const response = await api.fetch("/api/nowhere?x=1", { method: "PUT" });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({ code: "not_found", message: "no route PUT /api/nowhere", issues: [] });
  });

  test("anything unforeseen is a 500 that says 'internal error' and no more; the log line has the cause", async () => {
    const database = await tempDatabase();
    const broken = await startApi({ database });
    try {
      database.close();
      const response = await broken.fetch("/api/export", { headers: { "x-request-id": "broken-1" } });
      expect(response.status).toBe(500);
      expect(await errorOf(response)).toEqual({ code: "internal", message: "internal error", issues: [] });
      const line = broken.lines.find((l) => l.level === "ERROR" && l.msg.startsWith("internal error: "));
      expect(line).toMatchObject({ request_id: "broken-1", method: "GET", path: "/api/export" });
      expect(line!.msg.length).toBeGreaterThan("internal error: ".length);
    } finally {
      await broken.close();
    }
  });
});

describe("body limit", () => {
  test("a body over the limit is a 413, whether its length is declared or it comes chunked", async () => {
    const big = JSON.stringify({ ...BUNDLE, classes: [{ ...BUNDLE.classes[0], comments: "x".repeat(5000) }] });
    const declared = await api.fetch("/api/import", { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(declared.status).toBe(413);
    expect(await errorOf(declared)).toEqual({ code: "payload_too_large", message: "the request body is over the limit of 4096 bytes", issues: [] });
    const bytes = new TextEncoder().encode(big);
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000));
        controller.close();
      },
    });
    const streamed = await api.fetch("/api/import", { method: "POST", headers: { "content-type": "application/json" }, body: chunked });
    expect(streamed.status).toBe(413);
    // Under the limit, the same route works.
    const fine = await api.send("POST", "/api/import", BUNDLE);
    expect(fine.status).toBe(200);
    expect(await fine.json()).toEqual({
      classes: { created: 1, updated: 0, unchanged: 0 },
      scrapers: { created: 1, updated: 0, unchanged: 0 },
      sources: { created: 1, updated: 0, unchanged: 0 },
    });
  });
});

describe("rate limit", () => {
  let limited: ApiServer;
  beforeAll(async () => {
    limited = await startApi({ settings: { rateLimit: 2, burst: 3 } });
  });
  afterAll(() => limited.close());

  test("a burst, then 429 with Retry-After; tokens come back with the clock; callers without the token have their own bucket", async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.fetch("/api/export")).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await limited.fetch("/api/export");
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await errorOf(refused)).toEqual({ code: "rate_limited", message: "more than 2 requests/s (bursts of 3): try again in 1 s", issues: [] });
    // Half a second gives one token back (2/s).
    limited.clock.advance(500);
    expect((await limited.fetch("/api/export")).status).toBe(200);
    expect((await limited.fetch("/api/export")).status).toBe(429);
    // Requests without the token are counted by address, apart from the token's bucket: still a 401.
    expect((await fetch(`${limited.url}/api/export`)).status).toBe(401);
    // A long wait refills the bucket to its burst, no more.
    limited.clock.advance(60_000);
    const again = [];
    for (let i = 0; i < 4; i++) again.push((await limited.fetch("/api/export")).status);
    expect(again).toEqual([200, 200, 200, 429]);
  });

  test("rate 0 turns the limit off", async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 250; i++) statuses.add((await api.fetch("/api/health")).status);
    expect([...statuses]).toEqual([200]);
  });
});

describe("request ids and the access log", () => {
  test("each answer carries X-Request-Id (the client's own when it sends a sane one) and one log line", async () => {
    const before = api.lines.length;
    const mine = await api.fetch("/api/export?x=1", { headers: { "x-request-id": "abc-123" } });
    expect(mine.headers.get("x-request-id")).toBe("abc-123");
    const generated = await fetch(`${api.url}/api/schema.json`);
    const id = generated.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const insane = await api.fetch("/api/health", { headers: { "x-request-id": "no spaces allowed" } });
    expect(insane.headers.get("x-request-id")).not.toBe("no spaces allowed");
    const lines = api.lines.slice(before);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ time: api.clock.now().toISOString(), level: "INFO", msg: "request", method: "GET", path: "/api/export", status: 200, duration_ms: 0, request_id: "abc-123" });
    expect(lines[1]).toMatchObject({ method: "GET", path: "/api/schema.json", status: 401, request_id: id });
    expect(lines[2]).toMatchObject({ path: "/api/health", status: 200 });
  });

  test("the duration comes from the injected clock", async () => {
    const database = await tempDatabase();
    let ticks = 0;
    const clock = { now: () => new Date(Date.UTC(2025, 0, 1) + 7 * ticks++) };
    const timed = await startApi({ database, deps: { clock }, settings: { rateLimit: 0 } });
    try {
      await timed.fetch("/api/export");
      expect(timed.lines.at(-1)).toMatchObject({ path: "/api/export", duration_ms: 7 });
    } finally {
      await timed.close();
    }
  });
});

describe("health", () => {
  test("checks the database, the image store and the queue for real, and says when", async () => {
    const response = await fetch(`${api.url}/api/health`);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json();
    expect(body).toEqual({
      status: "ok",
      checks: {
        database: { ok: true, migrations: expect.any(Number) },
        images: { ok: true },
        queue: { ok: true, workers: 2, waiting: 0, running: 0 },
      },
      checked_at: api.clock.now().toISOString(),
    });
  });

  test("one real check answers for a second: requests meanwhile (at once or later) share it, and the next second checks again", async () => {
    let probes = 0;
    // The real folder store, counting the probe objects health writes.
    class CountedStore extends FsBlobStore {
      override async put(key: string, data: Uint8Array, contentType: string): Promise<void> {
        probes++;
        await super.put(key, data, contentType);
      }
    }
    const checked = await startApi({ deps: { images: new CountedStore(join(tempDir(), "images")) } });
    try {
      const at = checked.clock.now().toISOString();
      const bodies = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${checked.url}/api/health`)).json()));
      expect(probes).toBe(1);
      expect(new Set(bodies.map((b) => (b as { checked_at: string }).checked_at))).toEqual(new Set([at]));
      checked.clock.advance(HEALTH_TTL_MS - 1);
      await fetch(`${checked.url}/api/health`);
      expect(probes).toBe(1);
      checked.clock.advance(1);
      const again = (await (await fetch(`${checked.url}/api/health`)).json()) as { checked_at: string };
      expect(probes).toBe(2);
      expect(again.checked_at).toBe(checked.clock.now().toISOString());
    } finally {
      await checked.close();
    }
  });

  test("a part that fails: 503, degraded, the part named with its reason; the others still pass; a part that fails later shows within the second", async () => {
    const file = join(tempDir(), "not-a-folder");
    writeFileSync(file, "x");
    const broken = await startApi({ deps: { images: new FsBlobStore(join(file, "images")) } });
    try {
      const response = await fetch(`${broken.url}/api/health`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { status: string; failing: string[]; checks: Record<string, { ok: boolean; message?: string }>; checked_at: string };
      expect(body.status).toBe("degraded");
      expect(body.failing).toEqual(["images"]);
      expect(body.checks.images!.ok).toBe(false);
      expect(body.checks.images!.message).toBeString();
      expect(body.checks.database!.ok).toBe(true);
      await broken.queue.stop(new Error("stopped for the test"));
      // The answer checked a moment ago still stands…
      expect(((await (await fetch(`${broken.url}/api/health`)).json()) as typeof body).failing).toEqual(["images"]);
      // …for a second at most.
      broken.clock.advance(HEALTH_TTL_MS);
      const stopped = (await (await fetch(`${broken.url}/api/health`)).json()) as typeof body;
      expect(stopped.failing).toEqual(["images", "queue"]);
      expect(stopped.checks.queue).toEqual({ ok: false, message: "the job workers are stopping: no job is taken" });
      expect(stopped.checked_at).toBe(broken.clock.now().toISOString());
    } finally {
      await broken.close();
    }
  });
});
