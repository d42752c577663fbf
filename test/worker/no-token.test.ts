/**
 * The real Worker as a fresh deploy finds it, under `wrangler dev`: no DSCRAPER_API_TOKEN yet and a database nobody
 * has migrated. It serves neither the API nor the admin page without the token (503, saying which secret to set
 * and how), never an open API; `GET /api/health` answers and names what is missing. The Worker never migrates:
 * the deploy's `dscraper migrate --db <remote URL>` (its token in DSCRAPER_DB_AUTH_TOKEN) does, and the same
 * Worker then finds the database ready.
 */
import { describe, expect, test } from "bun:test";
import { MIGRATIONS } from "../../src/db/migrations.gen.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp.ts";
import { useWorker } from "../support/worker.ts";

const TURSO_TOKEN = "turso-fresh-token";
const worker = useWorker({ database: { authToken: TURSO_TOKEN, migrate: false } });

const NO_TOKEN =
  "this Worker serves no API and no admin page until its token is set: run `npx wrangler secret put DSCRAPER_API_TOKEN` " +
  "(for `wrangler dev`, put DSCRAPER_API_TOKEN=… in .dev.vars); only GET /api/health answers without it";

describe("a Worker without DSCRAPER_API_TOKEN, on a database not yet migrated", () => {
  test("the API answers 503 naming the secret and how to set it, whatever the request carries; nothing is open", async () => {
    for (const [method, path] of [
      ["GET", "/api/sources"],
      ["POST", "/api/import"],
      ["POST", "/api/sources/1/crawl"],
      ["GET", "/api/openapi.json"],
      ["GET", "/api/docs"],
    ] as const) {
      for (const headers of [{}, { authorization: "Bearer anything" }] as Record<string, string>[]) {
        const response = await worker.current.fetch(path, { method, headers: { ...headers, "content-type": "application/json" }, ...(method === "POST" ? { body: "{}" } : {}) });
        expect([path, response.status]).toEqual([path, 503]);
        expect(await response.json()).toEqual({ error: { code: "unavailable", message: NO_TOKEN, issues: [] } });
      }
    }
    // Each refusal writes its access line, and cost nothing.
    const [line] = await worker.current.waitForOutput(/\{[^\n]*"msg":"request","method":"GET","path":"\/api\/sources","status":503[^\n]*\}/);
    expect(JSON.parse(line)).toMatchObject({ level: "ERROR", subrequests: 0 });
  });

  test("the admin page is not open either: a page saying the same, with no form and no script", async () => {
    for (const path of ["/", "/admin", "/admin/sign-in", "/admin/sources"]) {
      const response = await worker.current.fetch(path, { redirect: "manual" });
      expect([path, response.status]).toEqual([path, 503]);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("content-security-policy")).toBe("default-src 'none'");
      const page = await response.text();
      expect(page).toContain("npx wrangler secret put DSCRAPER_API_TOKEN");
      expect(page).not.toContain("<form");
      expect(page).not.toContain("<script");
    }
  });

  test("health answers without the token and names the missing migrations; `dscraper migrate --db <remote URL>` applies them, and health is ok", async () => {
    const before = await worker.current.fetch("/api/health");
    expect(before.status).toBe(503);
    const report = (await before.json()) as { failing: string[]; checks: Record<string, { ok: boolean; message?: string }> };
    expect(report.failing).toEqual(["database"]);
    const url = worker.current.database!.url;
    expect(report.checks.database!.message).toBe(
      `database ${url} has 0 of this build's ${MIGRATIONS.length} migrations: apply them with \`dscraper migrate --db ${url}\` (its token in DSCRAPER_DB_AUTH_TOKEN); the Worker never migrates`,
    );

    // The deploy's step, with the binary's CLI against the remote database and its token.
    const denied = await runCli(["migrate", "--db", url], { cwd: tempDir() });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(`dscraper: database ${url}: SERVER_ERROR: Server returned HTTP status 401\n`);
    const migrated = await runCli(["migrate", "--db", url], { cwd: tempDir(), env: { DSCRAPER_DB_AUTH_TOKEN: TURSO_TOKEN } });
    expect(migrated).toMatchObject({ code: 0, stdout: `applied ${MIGRATIONS.map((m) => m.tag).join(", ")}\n` });
    const again = await runCli(["migrate", "--db", url], { cwd: tempDir(), env: { DSCRAPER_DB_AUTH_TOKEN: TURSO_TOKEN } });
    expect(again).toMatchObject({ code: 0, stdout: "database is up to date\n" });

    // The same Worker (its isolate kept no half-open database) finds it ready.
    const after = await worker.current.fetch("/api/health");
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ status: "ok", checks: { database: { ok: true, migrations: MIGRATIONS.length } } });
    // And still serves no API without its token.
    expect((await worker.current.fetch("/api/sources")).status).toBe(503);
  }, 120_000);
});
