/**
 * The real Worker (wrangler.toml, worker/index.ts) under `wrangler dev`, on the Hrana test server standing in for
 * Turso (with a token, as Turso requires) and wrangler's local R2.
 */
import { describe, expect, test } from "bun:test";
import Database from "libsql";
import { MIGRATIONS } from "../../src/db/migrations.gen.ts";
import { useWorker } from "../support/worker.ts";

const worker = useWorker({ database: { authToken: "turso-test-token" }, vars: { DSCRAPER_API_TOKEN: "api-test-token" } });

describe("the Worker under wrangler dev", () => {
  test("GET /api/health checks the settings, the database (migrated on first use) and R2, and says ok", async () => {
    const response = await worker.current.fetch("/api/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({
      status: "ok",
      checks: { settings: { ok: true }, database: { ok: true, migrations: MIGRATIONS.length }, images: { ok: true }, queue: { ok: true, probed: false } },
    });
    // The migrations really are in the libSQL file behind the Hrana server.
    const db = new Database(worker.current.database!.dbPath, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["__drizzle_migrations", "items", "jobs", "sources", "scrapers"]));
      expect((db.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(MIGRATIONS.length);
    } finally {
      db.close();
    }
  });

  test("concurrent health checks each probe R2 with their own object and all pass", async () => {
    const bodies = await Promise.all(Array.from({ length: 8 }, async () => (await worker.current.fetch("/api/health")).json()));
    expect(bodies.map((b) => (b as { status: string }).status)).toEqual(Array(8).fill("ok"));
  });

  test("any other route is a 404 that says the API is not part of the Worker yet; POST /api/health is a 405", async () => {
    const response = await worker.current.fetch("/api/sources");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "not_found", message: "no route /api/sources: this Worker serves only GET /api/health so far (the API is not part of it yet)" },
    });
    // The test-only routes are not there unless DSCRAPER_TEST_HOOKS says so.
    const hook = await worker.current.fetch("/__test/send", { method: "POST", body: JSON.stringify({ messages: [{ type: "job", job: 1 }] }) });
    expect(hook.status).toBe(404);
    const post = await worker.current.fetch("/api/health", { method: "POST" });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });

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
  });

  // Last: the database goes away for good.
  test("with the database down, health is 503 and names the database; R2 and the settings still pass", async () => {
    await worker.current.database!.close();
    const response = await worker.current.fetch("/api/health");
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; failing: string[]; checks: Record<string, { ok: boolean; message?: string }> };
    expect(body.status).toBe("degraded");
    expect(body.failing).toEqual(["database"]);
    expect(body.checks.images).toEqual({ ok: true });
    expect(body.checks.settings).toEqual({ ok: true });
    expect(body.checks.database!.ok).toBe(false);
    expect(body.checks.database!.message).toBeString();
  });
});
