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
    const post = await worker.current.fetch("/api/health", { method: "POST" });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });

  test("a cron trigger (wrangler's /__scheduled) reaches `scheduled`, which says that nothing is scheduled yet", async () => {
    for (const cron of ["* * * * *", "0 6 * * *"]) {
      const response = await worker.current.scheduled(cron);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("Ran scheduled event");
      const escaped = cron.replaceAll("*", "\\*");
      const [line] = await worker.current.waitForOutput(new RegExp(`\\{[^\\n]*"cron":"${escaped}"[^\\n]*\\}`));
      expect(JSON.parse(line)).toMatchObject({ level: "WARNING", msg: "cron trigger received; the Worker's scheduler is not built yet, nothing was enqueued", cron });
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
