/**
 * The real Worker's `fetch` (wrangler.toml, worker/index.ts) under `wrangler dev`: the shared app (API, API docs,
 * admin page) on the Hrana test server standing in for Turso (with a token, as Turso requires) and wrangler's local
 * R2. Health checks every part for real; every route but health needs the bearer token; each request stays within
 * the subrequest budget, and one that would cross it is refused with a 503 that says so, keeping nothing of a write
 * cut short; each request writes one JSON access line with what it spent.
 */
import { describe, expect, test } from "bun:test";
import Database from "libsql";
import { MIGRATIONS } from "../../src/db/migrations.gen.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import { useWorker } from "../support/worker.ts";
import { workerApi } from "./support/api.ts";
import { waitFor } from "./support/db.ts";
import { quotesBundle } from "./support/quotes.ts";

const TOKEN = "api-test-token";
/** The smallest budget the Worker takes: an import of 1,200 scrapers needs more than it. */
const BUDGET = 20;
const worker = useWorker({ database: { authToken: "turso-test-token" }, vars: { DSCRAPER_API_TOKEN: TOKEN, DSCRAPER_SUBREQUEST_BUDGET: String(BUDGET) } });
const api = workerApi(() => worker.current, TOKEN);

/** The access-log lines the Worker printed for `path` so far. */
function accessLines(method: string, path: string): Record<string, unknown>[] {
  return worker.current
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.method === method && l.path === path);
}

/** A bundle of `n` scrapers of one class, each with a source. */
function manyScrapers(n: number): BundleInput {
  const bundle = quotesBundle("http://127.0.0.1:9", "many-0", 2, { className: "Many", status: "MANUAL" });
  const scraper = bundle.scrapers![0]!;
  bundle.scrapers = Array.from({ length: n }, (_, i) => ({ ...scraper, name: `many-${i}` }));
  bundle.sources = Array.from({ length: n }, (_, i) => ({ name: `many-${i}`, url: `http://127.0.0.1:9/${i}/`, scraper: `many-${i}` }));
  return bundle;
}

describe("the Worker's fetch: the shared app", () => {
  test("GET /api/health checks the settings, the database (migrated by the deploy) and R2, and says ok, with no token", async () => {
    const response = await worker.current.fetch("/api/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-request-id")).toBeString();
    const { checked_at, ...report } = (await response.json()) as { checked_at: string };
    expect(report).toEqual({
      status: "ok",
      checks: { settings: { ok: true }, database: { ok: true, migrations: MIGRATIONS.length }, images: { ok: true }, queue: { ok: true, probed: false } },
    });
    // Answers are shared for a second (src/api/health.ts); checked_at says when this one was checked.
    expect(new Date(checked_at).toISOString()).toBe(checked_at);
  });

  test("concurrent health checks (sharing one probe of R2) all pass", async () => {
    const bodies = await Promise.all(Array.from({ length: 8 }, async () => (await worker.current.fetch("/api/health")).json()));
    expect(bodies.map((b) => (b as { status: string }).status)).toEqual(Array(8).fill("ok"));
  });

  test("every other route needs the token: 401 without it or with another one; the API, its document and its docs with it", async () => {
    const none = await worker.current.fetch("/api/sources");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="dscraper"');
    expect(await none.json()).toEqual({ error: { code: "unauthorized", message: "this API needs a token: send Authorization: Bearer <DSCRAPER_API_TOKEN>", issues: [] } });
    const wrong = await worker.current.fetch("/api/sources", { headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
    for (const path of ["/api/openapi.json", "/api/docs", "/api/schema.json", "/api/stats"]) expect((await worker.current.fetch(path)).status).toBe(401);
    // A write without the token does nothing.
    const write = await worker.current.fetch("/api/import", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(quotesBundle("http://127.0.0.1:9", "nope", 1)) });
    expect(write.status).toBe(401);

    expect(await api.call("GET", "/api/scrapers?per_page=1")).toMatchObject({ status: 200, body: { scrapers: [], total: 0 } });
    const document = await api.call<{ openapi: string; paths: Record<string, unknown> }>("GET", "/api/openapi.json");
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths)).toEqual(expect.arrayContaining(["/api/sources/{id}/crawl", "/api/jobs/{id}", "/api/jobs/{id}/cancel", "/api/import"]));
    const docs = await worker.current.fetch("/api/docs", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/api/sources/{id}/crawl");
    // The admin page is the app's too: it asks to sign in.
    const admin = await worker.current.fetch("/admin", { redirect: "manual" });
    expect([admin.status, admin.headers.get("location")]).toEqual([303, "/admin/sign-in?next=%2Fadmin"]);
    // The test-only routes are not there unless DSCRAPER_TEST_HOOKS says so: the app answers.
    expect((await api.call("POST", "/__test/send", { messages: [{ type: "job", job: 1 }] })).status).toBe(404);
  });

  test("each request writes one JSON access line with its status and the subrequests it made, by kind", async () => {
    await api.import(quotesBundle("http://127.0.0.1:9", "logged", 1, { className: "Logged", status: "MANUAL" }));
    const [line] = await waitFor("the import's access line", () => {
      const lines = accessLines("POST", "/api/import").filter((l) => l.status === 200);
      return lines.length ? lines : undefined;
    });
    expect(line).toMatchObject({ level: "INFO", msg: "request", status: 200, request_id: expect.any(String), duration_ms: expect.any(Number) });
    const counts = line!.counts as Record<string, number>;
    expect(line!.subrequests).toBe(counts.fetches! + counts.database! + counts.storage! + counts.queue!);
    expect(counts.database).toBeGreaterThan(0);
    expect(line!.subrequests).toBeLessThanOrEqual(BUDGET);
  });

  test("an import needing more subrequests than the budget is refused with a 503 naming it; nothing of it is kept, and the database is free at once", async () => {
    const scrapers = async () => (await api.call<{ total: number }>("GET", "/api/scrapers?per_page=1")).body.total;
    const before = await scrapers();
    const refused = await api.call<{ error: { code: string; message: string } }>("POST", "/api/import", manyScrapers(1200));
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("unavailable");
    expect(refused.body.error.message).toStartWith(`this request needs more subrequests than the ${BUDGET} one Worker invocation may make (DSCRAPER_SUBREQUEST_BUDGET; a database subrequest was refused`);
    expect(refused.body.error.message).toContain("dscraper binary against the same database (--db libsql://…)");
    const [line] = await waitFor("the refused import's access line", () => {
      const lines = accessLines("POST", "/api/import").filter((l) => l.status === 503);
      return lines.length ? lines : undefined;
    });
    // The refused round trip is not made; the transaction's close is, from the reserve (so the server rolled it
    // back at once instead of holding the write lock until the stream expired).
    expect(line).toMatchObject({ over_budget: "database" });
    expect(line!.subrequests).toBeLessThanOrEqual(BUDGET);
    expect(worker.current.database!.openStreams).toBe(0);
    expect(await scrapers()).toBe(before);
    // A bundle that fits is taken right after.
    await api.import(manyScrapers(3));
    expect(await scrapers()).toBe(before + 3);
  }, 120_000);

  test("a cron trigger (wrangler's /__scheduled) reaches `scheduled`: the scheduler pass every minute, the daily round at 06:00", async () => {
    const expected: [string, RegExp][] = [
      ["* * * * *", /\{[^\n]*"msg":"tick: queued 0 crawl\(s\) and 0 check\(s\)"[^\n]*\}/],
      ["0 6 * * *", /\{[^\n]*"msg":"daily round: no webhook[^\n]*\}/],
    ];
    for (const [cron, line] of expected) {
      const response = await worker.current.scheduled(cron);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("Ran scheduled event");
      await worker.current.waitForOutput(line);
      const escaped = cron.replaceAll("*", "\\*");
      const [done] = await worker.current.waitForOutput(new RegExp(`\\{[^\\n]*"msg":"invocation done","handler":"cron:${escaped}"[^\\n]*\\}`));
      expect(JSON.parse(done)).toMatchObject({ level: "INFO", handler: `cron:${cron}` });
    }
    // The migrations are the deploy's: the Worker applied none (the file holds exactly the build's).
    const db = new Database(worker.current.database!.dbPath, { readonly: true });
    try {
      expect((db.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(MIGRATIONS.length);
    } finally {
      db.close();
    }
  });

  // Last: the database goes away for good.
  test("with the database down, health is 503 and names the database; R2 and the settings still pass; the API says it is unavailable", async () => {
    await worker.current.database!.close();
    // An answer checked before the close may still be served for up to a second: the next one checked after it fails.
    const response = await waitFor("a health answer checked with the database down", async () => {
      const r = await worker.current.fetch("/api/health");
      return r.status === 503 ? r : undefined;
    });
    const body = (await response.json()) as { status: string; failing: string[]; checks: Record<string, { ok: boolean; message?: string }> };
    expect(body.status).toBe("degraded");
    expect(body.failing).toEqual(["database"]);
    expect(body.checks.images).toEqual({ ok: true });
    expect(body.checks.settings).toEqual({ ok: true });
    expect(body.checks.database!.ok).toBe(false);
    expect(body.checks.database!.message).toBeString();
    const sources = await api.call<{ error: { code: string; message: string } }>("GET", "/api/sources");
    expect(sources.status).toBe(503);
    expect(sources.body.error.code).toBe("unavailable");
    expect(sources.body.error.message).toStartWith(`database ${worker.current.database!.url} cannot be reached: `);
  });
});
