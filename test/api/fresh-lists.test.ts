/**
 * A list answer is never stale: whether it comes as a 304, as a page served again from the cache or freshly read,
 * it shows every commit made before the request, by this process (the API's own writes, its job workers) or by
 * another one sharing the database (a CLI crawl, `dscraper jobs cancel`, an import, a sqlite3 shell). The other
 * process runs to its end before the next request is sent: no sleep, no timing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { HEARTBEAT_MS } from "../../src/jobs/lifecycle.ts";
import type { Job } from "../../src/model/job.ts";
import { startApi, type ApiServer } from "../support/api.ts";
import { ROOT, runCli, runProcess } from "../support/cli.ts";
import { heldPage } from "../support/held-page.ts";
import { nextLinkBundle } from "../support/quotes-bundle.ts";
import { html, startSite } from "../support/site.ts";
import { tempDatabase, tempDir } from "../support/temp.ts";
import { testTime } from "../support/time.ts";

const time = testTime(0);
const site = startSite({});
let api: ApiServer;
let dbUrl: string;

beforeAll(async () => {
  const database = await tempDatabase();
  dbUrl = database.url;
  api = await startApi({ database, settings: { rateLimit: 0 }, runner: { sleep: time.sleep, heartbeatMs: HEARTBEAT_MS } });
});
afterAll(async () => {
  await api.close();
  await site.close();
});

function listPage(name: string, n: number, next?: string): string {
  const items = [1, 2].map((i) => `<div class="q"><h2>${name} ${n}.${i}</h2></div>`).join("");
  return html(`${items}${next ? `<a class="next" href="${next}">next</a>` : ""}`);
}

function bundle(name: string) {
  return nextLinkBundle({ name, url: `${site.url}/${name}/1` }, [{ name: "title", x_path: "h2/text()" }], { scraper: { name } });
}

/** GET `path` with `If-None-Match: etag` (when given): the status, the ETag and the body (null for a 304). */
async function get<T>(path: string, etag?: string): Promise<{ status: number; etag: string; body: T | null }> {
  const response = await api.fetch(path, { headers: etag ? { "if-none-match": etag } : {} });
  return { status: response.status, etag: response.headers.get("etag")!, body: response.status === 200 ? ((await response.json()) as T) : null };
}

type Items = { items: { id: number; data: { title: string } }[]; total: number };
const titles = (page: Items | null) => page?.items.map((i) => i.data.title);

/** Another process writing to the database with the native driver, as a sqlite3 shell would. */
async function otherProcessSql(sql: string): Promise<void> {
  const path = dbUrl.slice("file:".length);
  const code = `const Database = require("libsql"); const db = new Database(${JSON.stringify(path)}); db.exec(${JSON.stringify(sql)}); db.close();`;
  const r = await runProcess([process.execPath, "-e", code], { cwd: ROOT });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}

describe("lists never answer stale", () => {
  test("items: a CLI crawl in another process, a delete by a shell, a delete through the API — each shows at the next request", async () => {
    site.set("/fresh/1", listPage("fresh", 1, "/fresh/2"));
    site.set("/fresh/2", listPage("fresh", 2));
    expect((await api.send("POST", "/api/import", bundle("fresh"))).status).toBe(200);
    const empty = await get<Items>("/api/items?source=fresh");
    expect(titles(empty.body)).toEqual([]);
    expect((await get("/api/items?source=fresh", empty.etag)).status).toBe(304);

    const crawl = await runCli(["crawl", "fresh", "--db", dbUrl, "--delay-ms", "0", "--ignore-robots"]);
    expect(crawl.code).toBe(0);
    const crawled = await get<Items>("/api/items?source=fresh", empty.etag);
    expect(crawled.status).toBe(200);
    expect(titles(crawled.body)).toEqual(["fresh 2.2", "fresh 2.1", "fresh 1.2", "fresh 1.1"]);
    expect(crawled.etag).not.toBe(empty.etag);
    // Nothing changed since: the same page, from the cache.
    expect((await get("/api/items?source=fresh", crawled.etag)).status).toBe(304);
    expect(titles((await get<Items>("/api/items?source=fresh")).body)).toEqual(titles(crawled.body));

    const [newest, , , oldest] = crawled.body!.items;
    await otherProcessSql(`DELETE FROM items WHERE id = ${newest!.id}`);
    const shelled = await get<Items>("/api/items?source=fresh", crawled.etag);
    expect(shelled.status).toBe(200);
    expect(titles(shelled.body)).toEqual(["fresh 2.1", "fresh 1.2", "fresh 1.1"]);
    expect(shelled.body!.total).toBe(3);

    expect((await api.fetch(`/api/items/${oldest!.id}`, { method: "DELETE" })).status).toBe(204);
    const own = await get<Items>("/api/items?source=fresh", shelled.etag);
    expect(own.status).toBe(200);
    expect(titles(own.body)).toEqual(["fresh 2.1", "fresh 1.2"]);
  });

  test("jobs: `dscraper jobs cancel` in another process shows in GET /api/jobs at once", async () => {
    const held = heldPage(listPage("held", 2));
    site.set("/held/1", listPage("held", 1, "/held/2"));
    site.set("/held/2", held.page);
    expect((await api.send("POST", "/api/import", bundle("held"))).status).toBe(200);
    const queued = (await (await api.send("POST", "/api/sources/held/crawl", {})).json()) as Job;
    while (held.waiting === 0) await Bun.sleep(5);
    // Page 1's items (and the scraper's last save, a definitions write the jobs list depends on) may be stored
    // after page 2 is asked for: wait for them, so that nothing but the cancel writes after this point.
    while ((await get<Items>("/api/items?source=held")).body!.total < 2) await Bun.sleep(5);

    const running = await get<{ jobs: Job[] }>("/api/jobs?source=held");
    expect(running.body!.jobs.map((j) => [j.id, j.status])).toEqual([[queued.id, "running"]]);
    // Heartbeats run on the test's time: nothing writes the job until the cancel.
    expect((await get("/api/jobs?source=held", running.etag)).status).toBe(304);

    const cancel = await runCli(["jobs", "cancel", String(queued.id), "--db", dbUrl]);
    expect(cancel.code).toBe(0);
    const cancelled = await get<{ jobs: Job[] }>("/api/jobs?source=held", running.etag);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body!.jobs.map((j) => [j.id, j.status])).toEqual([[queued.id, "cancelled"]]);

    // The run learns of the cancel at its next heartbeat and stops.
    while (time.sleeping === 0) await Bun.sleep(5);
    time.advance(HEARTBEAT_MS);
    while (held.aborted === 0) await Bun.sleep(5);
    held.release();
  });

  test("definitions: an import in another process shows in GET /api/sources at once", async () => {
    const before = await get<{ sources: { name: string }[] }>("/api/sources?per_page=500");
    expect(before.body!.sources.map((s) => s.name)).not.toContain("imported");
    expect((await get("/api/sources?per_page=500", before.etag)).status).toBe(304);
    const file = join(tempDir(), "bundle.json");
    writeFileSync(file, JSON.stringify(bundle("imported")));
    expect((await runCli(["import", file, "--db", dbUrl])).code).toBe(0);
    const after = await get<{ sources: { name: string }[] }>("/api/sources?per_page=500", before.etag);
    expect(after.status).toBe(200);
    expect(after.body!.sources.map((s) => s.name)).toContain("imported");
  });
});
