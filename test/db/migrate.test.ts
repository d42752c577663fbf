import { describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { join } from "node:path";
import { renderMigrations, TARGET } from "../../cli/embed-migrations.ts";
import { migrate } from "../../src/db/migrate.ts";
import { MIGRATIONS } from "../../src/db/migrations.gen.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp.ts";

describe("migrations", () => {
  test("the embedded migrations are exactly those in drizzle/ (run `npm run db:generate` after a schema change)", async () => {
    expect(await Bun.file(TARGET).text()).toBe(renderMigrations());
  });

  test("a new database gets every table; a second run applies nothing", async () => {
    const client = createClient({ url: `file:${join(tempDir(), "m.db")}` });
    expect(await migrate(client, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.tag));
    expect(await migrate(client, MIGRATIONS)).toEqual([]);
    const tables = (await client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).rows.map((r) => r.name);
    for (const t of ["classes", "scrapers", "sources", "scheduler_runtimes", "items", "jobs", "logs", "log_markers"]) expect(tables).toContain(t);
    // drizzle's own bookkeeping, so drizzle-kit agrees on what is applied
    const applied = (await client.execute("SELECT hash, created_at FROM __drizzle_migrations")).rows;
    expect(applied.map((r) => [r.hash, Number(r.created_at)])).toEqual(MIGRATIONS.map((m) => [m.hash, m.folderMillis]));
    client.close();
  });

  test("two processes migrating at once both succeed and apply each migration once", async () => {
    const url = `file:${join(tempDir(), "race.db")}`;
    const runs = await Promise.all([runCli(["migrate", "--db", url, "--json"]), runCli(["migrate", "--db", url, "--json"])]);
    expect(runs.map((r) => ({ code: r.code, stderr: r.stderr }))).toEqual([
      { code: 0, stderr: "" },
      { code: 0, stderr: "" },
    ]);
    const applied = runs.flatMap((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied);
    expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.tag).sort());
    const client = createClient({ url });
    expect(Number((await client.execute("SELECT count(*) AS n FROM __drizzle_migrations")).rows[0]!.n)).toBe(MIGRATIONS.length);
    client.close();
  });

  test("foreign keys are enforced", async () => {
    const client = createClient({ url: `file:${join(tempDir(), "fk.db")}` });
    await migrate(client, MIGRATIONS);
    await expect(
      client.execute("INSERT INTO sources (name, scraper_id, url, urls, active, created_at, updated_at) VALUES ('s', 999, 'http://x/', '[]', 1, 0, 0)"),
    ).rejects.toThrow(/FOREIGN KEY/);
    client.close();
  });
});
