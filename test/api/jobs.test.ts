/**
 * The job routes on a real server over a real database, with the binary's queue running real jobs against a real
 * test site: queueing a crawl or a check (202), live stats, cancel mid-crawl, refusals (404, 409), the job list,
 * validation and auth. Heartbeats run on simulated time, so the test decides when a run publishes its stats or
 * learns of a cancel.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HEARTBEAT_MS } from "../../src/jobs/lifecycle.ts";
import { sendJobWebhook } from "../../src/jobs/webhook.ts";
import type { ScraperStatus } from "../../src/model/enums.ts";
import type { Job } from "../../src/model/job.ts";
import { systemClock } from "../../src/ports.ts";
import { errorOf, startApi, type ApiServer } from "../support/api.ts";
import { heldPage } from "../support/held-page.ts";
import { startHook, validSignature, type Hook } from "../support/hook.ts";
import { nextLinkBundle } from "../support/quotes-bundle.ts";
import { html, startSite } from "../support/site.ts";
import { testTime } from "../support/time.ts";

const SECRET = "s3cret";
const time = testTime(0);
const site = startSite({});
let hook: Hook;
let api: ApiServer;

beforeAll(async () => {
  hook = startHook();
  api = await startApi({
    settings: { rateLimit: 0 },
    runner: {
      sleep: time.sleep,
      heartbeatMs: HEARTBEAT_MS,
      onFinished: (job) =>
        void sendJobWebhook({ database: api.database, clock: systemClock, sleep: async () => {}, settings: { secret: SECRET }, sink: () => {} }, job, new AbortController().signal),
    },
  });
});
afterAll(async () => {
  await api.close();
  await site.close();
  await hook.close();
});

/** Two items per list page, a next link on the first; a 404 checker on the items' URLs. */
function listPage(name: string, n: number, next?: string): string {
  // Titles are the identity, class-wide: each source has its own.
  const items = [1, 2].map((i) => `<div class="q"><h2>${name} ${n}.${i}</h2><a href="/item/${name}/${n}.${i}">x</a></div>`).join("");
  return html(`${items}${next ? `<a class="next" href="${next}">next</a>` : ""}`);
}

function bundle(name: string, url: string, status: ScraperStatus = "MANUAL", webhook: string | null = null) {
  return nextLinkBundle(
    { name, url },
    [
      { name: "title", x_path: "h2/text()" },
      { name: "url", attr_type: "U", x_path: "a/@href" },
    ],
    { scraper: { name, status, webhook_url: webhook, checkers: [{ attr: "url", checker_type: "404" }] } },
  );
}

async function define(name: string, url: string, status: ScraperStatus = "MANUAL", webhook: string | null = null): Promise<void> {
  const response = await api.send("POST", "/api/import", bundle(name, url, status, webhook));
  expect(response.status).toBe(200);
}

async function job(id: number): Promise<Job> {
  const response = await api.fetch(`/api/jobs/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Job;
}

/** Polls (in small real steps) until `condition` holds; the test's timeout bounds it. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await Bun.sleep(10);
}

/**
 * Moves simulated time on, a heartbeat at a time, until the running job has published that it read page 1's two
 * items (the page is read after its next page was asked for, so one beat may come before it).
 */
async function published(id: number): Promise<Job> {
  for (;;) {
    const current = await job(id);
    if ((current.stats as { items_read?: number }).items_read === 2) return current;
    await until(() => time.sleeping > 0);
    time.advance(HEARTBEAT_MS);
    await Bun.sleep(10);
  }
}

async function ended(id: number): Promise<Job> {
  let current = await job(id);
  while (current.status === "queued" || current.status === "running") {
    await Bun.sleep(10);
    current = await job(id);
  }
  return current;
}

/** The titles of a source's items as a client sees them: `GET /api/items`, newest first. */
async function listed(source: string): Promise<string[]> {
  const response = await api.fetch(`/api/items?source=${source}&per_page=500`);
  expect(response.status).toBe(200);
  const page = (await response.json()) as { items: { source: string; data: { title: string } }[]; total: number };
  expect(page.total).toBe(page.items.length);
  expect(page.items.every((i) => i.source === source)).toBe(true);
  return page.items.map((i) => i.data.title);
}

async function itemCount(source: string): Promise<number> {
  const rows = await api.database.client.execute({ sql: "SELECT count(*) AS n FROM items JOIN sources s ON s.id = items.source_id WHERE s.name = ?", args: [source] });
  return Number(rows.rows[0]!.n);
}

describe("POST /api/sources/:id/crawl", () => {
  test("answers 202 with the job at once; the job runs in the background, shows live stats, ends succeeded with its items; its webhook is signed", async () => {
    const held = heldPage(listPage("live", 2));
    site.set("/live/1", listPage("live", 1, "/live/2"));
    site.set("/live/2", held.page);
    await define("live", `${site.url}/live/1`, "MANUAL", `${hook.url}/live`);

    const response = await api.send("POST", "/api/sources/live/crawl", {});
    expect(response.status).toBe(202);
    const queued = (await response.json()) as Job;
    expect(queued).toMatchObject({ kind: "crawl", source: "live", item_id: null, dry_run: false, params: { dry_run: false }, error: null, finished_at: null });
    expect(["queued", "running"]).toContain(queued.status);
    expect(queued.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // Page 2 is held: the run is in the middle. Its heartbeats publish what it did so far.
    await until(() => held.waiting === 1);
    const running = await published(queued.id);
    expect(running.status).toBe("running");
    expect(running.stats).toMatchObject({ pages: { main: 1, follow: 0 }, items_read: 2, errors: {} });

    // A second crawl of the source while this one runs: 409 naming the running job.
    const again = await api.send("POST", "/api/sources/live/crawl", {});
    expect(again.status).toBe(409);
    expect((await errorOf(again)).message).toBe(`source "live" is already being crawled by job ${queued.id} (running since ${running.started_at})`);

    held.release();
    const done = await ended(queued.id);
    expect(done.status).toBe("succeeded");
    expect(done.stats).toMatchObject({ pages: { main: 1, follow: 1 }, items_read: 4, items: { saved: 4 } });
    expect(await itemCount("live")).toBe(4);
    expect(await listed("live")).toEqual(["live 2.2", "live 2.1", "live 1.2", "live 1.1"]);

    await until(() => hook.received.some((d) => (d.json.job as Job).id === queued.id));
    const delivery = hook.received.find((d) => (d.json.job as Job).id === queued.id)!;
    expect(delivery.headers.get("x-dscraper-event")).toBe("job.finished");
    expect(validSignature(SECRET, delivery.body, delivery.headers.get("x-dscraper-signature"))).toBe(true);
    expect(validSignature("wrong", delivery.body, delivery.headers.get("x-dscraper-signature"))).toBe(false);
    expect(delivery.json).toMatchObject({ event: "job.finished", scraper: "live", job: { id: queued.id, status: "succeeded", source: "live", stats: { items: { saved: 4 } } } });
  });

  test("the source may be named by id; run-time overrides apply; a dry run stores nothing", async () => {
    site.set("/dry/1", listPage("dry", 1, "/dry/2"));
    site.set("/dry/2", listPage("dry", 2));
    await define("dry", `${site.url}/dry/1`);
    const id = Number((await api.database.client.execute("SELECT id FROM sources WHERE name = 'dry'")).rows[0]!.id);
    const response = await api.send("POST", `/api/sources/${id}/crawl`, { dry_run: true, num_pages_follow: 0 });
    expect(response.status).toBe(202);
    const queued = (await response.json()) as Job;
    expect(queued).toMatchObject({ source_id: id, dry_run: true, params: { dry_run: true, num_pages_follow: 0 } });
    const done = await ended(queued.id);
    expect(done.status).toBe("succeeded");
    expect(done.stats).toMatchObject({ pages: { main: 1, follow: 0 }, items_read: 2, items: { saved: 2 } });
    expect(await itemCount("dry")).toBe(0);
    expect(await listed("dry")).toEqual([]);
  });

  test("PAUSED and INACTIVE scrapers: 409 naming the status; an unknown source: 404; no job is made", async () => {
    await define("paused", `${site.url}/nowhere`, "PAUSED");
    await define("inactive", `${site.url}/nowhere`, "INACTIVE");
    const before = Number((await api.database.client.execute("SELECT count(*) AS n FROM jobs")).rows[0]!.n);
    for (const [name, status] of [["paused", "PAUSED"], ["inactive", "INACTIVE"]] as const) {
      const response = await api.send("POST", `/api/sources/${name}/crawl`, {});
      expect(response.status).toBe(409);
      const error = await errorOf(response);
      expect(error.code).toBe("conflict");
      expect(error.message).toStartWith(`scraper "${name}" is ${status}: it does not run`);
    }
    const missing = await api.send("POST", "/api/sources/nope/crawl", {});
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: "not_found", message: 'no source named "nope"', issues: [] });
    expect(Number((await api.database.client.execute("SELECT count(*) AS n FROM jobs")).rows[0]!.n)).toBe(before);
  });

  test("a body that breaks the run options: 400 naming each field", async () => {
    const response = await api.send("POST", "/api/sources/paused/crawl", { max_items_read: 0, url: "ftp://x/", colour: "red", dry_run: "yes" });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_input");
    expect(error.issues.map((i) => i.path).sort()).toEqual(["colour", "dry_run", "max_items_read", "url"]);
    expect(error.issues).toContainEqual({ path: "colour", message: "unknown field" });
    expect(error.issues).toContainEqual({ path: "max_items_read", message: "must be positive" });
  });
});

describe("POST /api/jobs/:id/cancel", () => {
  test("stops a running crawl at its next heartbeat: the request in flight is aborted, the job is cancelled with what it did", async () => {
    const held = heldPage(listPage("stop", 2));
    site.set("/stop/1", listPage("stop", 1, "/stop/2"));
    site.set("/stop/2", held.page);
    await define("stop", `${site.url}/stop/1`);
    const queued = (await (await api.send("POST", "/api/sources/stop/crawl", {})).json()) as Job;
    await until(() => held.waiting === 1);
    await published(queued.id);

    const response = await api.fetch(`/api/jobs/${queued.id}/cancel`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: queued.id, status: "cancelled", error: "cancelled" });

    // The run learns of it at its next heartbeat, and the fetcher's signal aborts the request in flight.
    await until(() => time.sleeping > 0);
    time.advance(HEARTBEAT_MS);
    await until(() => held.aborted === 1);
    await until(async () => "items_read" in (await job(queued.id)).stats);
    const cancelled = await job(queued.id);
    expect(cancelled).toMatchObject({ status: "cancelled", error: "cancelled", stats: { pages: { main: 1 }, items_read: 2 } });
    // The items of the page read before the cancel are stored whole.
    expect(await itemCount("stop")).toBe(2);
    expect(await listed("stop")).toEqual(["stop 1.2", "stop 1.1"]);

    const twice = await api.fetch(`/api/jobs/${queued.id}/cancel`, { method: "POST" });
    expect(twice.status).toBe(409);
    expect((await errorOf(twice)).message).toBe(`job ${queued.id} has already ended: cancelled`);

    // The source takes a new crawl.
    held.release();
    const next = await api.send("POST", "/api/sources/stop/crawl", {});
    expect(next.status).toBe(202);
    expect((await ended(((await next.json()) as Job).id)).status).toBe("succeeded");
    expect(await itemCount("stop")).toBe(4);
    expect(await listed("stop")).toEqual(["stop 2.2", "stop 2.1", "stop 1.2", "stop 1.1"]);
  });

  test("an unknown job: 404; an id that is no number: 400", async () => {
    const missing = await api.fetch("/api/jobs/999999/cancel", { method: "POST" });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: "not_found", message: "no job with id 999999", issues: [] });
    const bad = await api.fetch("/api/jobs/abc/cancel", { method: "POST" });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues).toEqual([{ path: "id", message: "must be a whole number" }]);
  });
});

describe("GET /api/jobs", () => {
  test("filters by source, status and kind, newest first, paged", async () => {
    site.set("/many/1", listPage("many", 1));
    await define("many", `${site.url}/many/1`);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const queued = (await (await api.send("POST", "/api/sources/many/crawl", { dry_run: true })).json()) as Job;
      expect((await ended(queued.id)).status).toBe("succeeded");
      ids.push(queued.id);
    }
    const list = (await (await api.fetch("/api/jobs?source=many")).json()) as { jobs: Job[]; page: number; per_page: number; total: number };
    expect(list.jobs.map((j) => j.id)).toEqual([...ids].reverse());
    expect(list).toMatchObject({ page: 1, per_page: 50, total: 3 });
    expect(list.jobs[0]).toMatchObject({ kind: "crawl", status: "succeeded", source: "many", dry_run: true });

    const second = (await (await api.fetch("/api/jobs?source=many&per_page=1&page=2")).json()) as { jobs: Job[]; total: number };
    expect(second.jobs.map((j) => j.id)).toEqual([ids[1]!]);
    expect(second.total).toBe(3);
    const none = (await (await api.fetch("/api/jobs?source=many&status=failed")).json()) as { jobs: Job[]; total: number };
    expect(none).toMatchObject({ jobs: [], total: 0 });
    const checks = (await (await api.fetch("/api/jobs?source=many&kind=check")).json()) as { jobs: Job[] };
    expect(checks.jobs).toEqual([]);
    const capped = (await (await api.fetch("/api/jobs?per_page=100000")).json()) as { per_page: number };
    expect(capped.per_page).toBe(500);
  });

  test("bad filters: 400 naming each; an unknown source: 404; an unknown job: 404", async () => {
    const bad = await api.fetch("/api/jobs?status=done&kind=scrape&page=0&colour=red");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues.map((i) => i.path).sort()).toEqual(["colour", "kind", "page", "status"]);
    const source = await api.fetch("/api/jobs?source=nope");
    expect(source.status).toBe(404);
    const missing = await api.fetch("/api/jobs/999999");
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: "not_found", message: "no job with id 999999", issues: [] });
  });
});

describe("POST /api/items/:id/check", () => {
  test("queues a check of the item (202); it runs its scraper's checkers and ends succeeded", async () => {
    site.set("/checked/1", listPage("checked", 1));
    site.set("/item/checked/1.1", html("<p>still here</p>"));
    await define("checked", `${site.url}/checked/1`);
    expect((await ended(((await (await api.send("POST", "/api/sources/checked/crawl", {})).json()) as Job).id)).status).toBe("succeeded");
    const itemId = Number((await api.database.client.execute("SELECT items.id FROM items JOIN sources s ON s.id = items.source_id WHERE s.name = 'checked' ORDER BY items.id")).rows[0]!.id);

    const response = await api.send("POST", `/api/items/${itemId}/check`, { dry_run: true });
    expect(response.status).toBe(202);
    const queued = (await response.json()) as Job;
    expect(queued).toMatchObject({ kind: "check", item_id: itemId, source: "checked", dry_run: true });
    const done = await ended(queued.id);
    expect(done.status).toBe("succeeded");
    expect(done.stats).toEqual({ checks: [{ attr: "url", url: `${site.url}/item/checked/1.1`, outcome: "alive", detail: expect.any(String) }], action: "kept", num_404: 0 });

    // No body at all is no dry run.
    const plain = await api.fetch(`/api/items/${itemId}/check`, { method: "POST" });
    expect(plain.status).toBe(202);
    expect(((await plain.json()) as Job).dry_run).toBe(false);
  });

  test("an unknown item: 404; a bad id or body: 400; a PAUSED scraper's item: 409", async () => {
    const missing = await api.send("POST", "/api/items/999999/check", {});
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: "not_found", message: "no item with id 999999", issues: [] });
    const bad = await api.send("POST", "/api/items/x/check", { dry_run: 1 });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues.map((i) => i.path)).toEqual(["id"]);
    const badBody = await api.send("POST", "/api/items/1/check", { dry_run: 1 });
    expect(badBody.status).toBe(400);
    expect((await errorOf(badBody)).issues.map((i) => i.path)).toEqual(["dry_run"]);

    site.set("/pausing/1", listPage("pausing", 1));
    await define("pausing", `${site.url}/pausing/1`);
    expect((await ended(((await (await api.send("POST", "/api/sources/pausing/crawl", {})).json()) as Job).id)).status).toBe("succeeded");
    await define("pausing", `${site.url}/pausing/1`, "PAUSED");
    const itemId = Number((await api.database.client.execute("SELECT items.id FROM items JOIN sources s ON s.id = items.source_id WHERE s.name = 'pausing'")).rows[0]!.id);
    const paused = await api.send("POST", `/api/items/${itemId}/check`, {});
    expect(paused.status).toBe(409);
    expect((await errorOf(paused)).message).toStartWith('scraper "pausing" is PAUSED');
  });
});

describe("auth", () => {
  test("every job route needs the token", async () => {
    const routes: [string, string][] = [
      ["GET", "/api/jobs"],
      ["GET", "/api/jobs/1"],
      ["POST", "/api/jobs/1/cancel"],
      ["POST", "/api/sources/live/crawl"],
      ["POST", "/api/items/1/check"],
      ["POST", "/api/items/cleanup"],
    ];
    for (const [method, path] of routes) {
      const response = await fetch(`${api.url}${path}`, { method, headers: { "content-type": "application/json", authorization: "Bearer nope" }, body: method === "POST" ? "{}" : null });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe("unauthorized");
    }
  });
});

describe("POST /api/items/cleanup", () => {
  test("deletes the items no crawl has seen for N days, with their runtimes and the image files no other item uses; a dry run counts", async () => {
    for (const name of ["stale", "seen"]) {
      site.set(`/${name}/1`, listPage(name, 1));
      await define(name, `${site.url}/${name}/1`);
      expect((await ended(((await (await api.send("POST", `/api/sources/${name}/crawl`, {})).json()) as Job).id)).status).toBe("succeeded");
    }
    const ids = async (source: string) =>
      (await api.database.client.execute({ sql: "SELECT items.id FROM items JOIN sources s ON s.id = items.source_id WHERE s.name = ? ORDER BY items.id", args: [source] })).rows.map((r) => Number(r.id));
    const [stale1, stale2] = await ids("stale");
    const [seen1] = await ids("seen");
    // Seen by their last crawl 10 days and 1 day before the API's clock.
    const day = 24 * 60 * 60 * 1000;
    const now = api.clock.now().getTime();
    await api.database.client.execute({ sql: "UPDATE items SET last_seen_at = ? WHERE source_id = (SELECT id FROM sources WHERE name = 'stale')", args: [now - 10 * day] });
    await api.database.client.execute({ sql: "UPDATE items SET last_seen_at = ? WHERE source_id = (SELECT id FROM sources WHERE name = 'seen')", args: [now - day] });
    // One file only a stale item uses, one shared with an item that stays.
    for (const key of ["full/only-stale.jpg", "full/shared.jpg"]) await api.images.put(key, new Uint8Array([1, 2, 3]), "image/jpeg");
    await api.database.client.execute({
      sql: "INSERT INTO item_images (item_id, key) VALUES (?, 'full/only-stale.jpg'), (?, 'full/shared.jpg'), (?, 'full/shared.jpg')",
      args: [stale1!, stale2!, seen1!],
    });
    const before = new Date(now - 5 * day).toISOString();

    const dry = await api.send("POST", "/api/items/cleanup", { days: 5, dry_run: true });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toEqual({ items: 2, images: 1, runtimes: 2, before, source: null, dry_run: true });
    expect(await ids("stale")).toEqual([stale1!, stale2!]);

    const other = await api.send("POST", "/api/items/cleanup", { days: 5, source: "seen" });
    expect(await other.json()).toEqual({ items: 0, images: 0, runtimes: 0, before, source: "seen", dry_run: false });

    const done = await api.send("POST", "/api/items/cleanup", { days: 5 });
    expect(await done.json()).toEqual({ items: 2, images: 1, runtimes: 2, before, source: null, dry_run: false });
    expect(await ids("stale")).toEqual([]);
    expect((await ids("seen")).length).toBe(2);
    expect(await api.images.exists("full/only-stale.jpg")).toBe(false);
    expect(await api.images.exists("full/shared.jpg")).toBe(true);
    const runtimes = await api.database.client.execute({ sql: "SELECT count(*) AS n FROM scheduler_runtimes WHERE item_id IN (?, ?)", args: [stale1!, stale2!] });
    expect(Number(runtimes.rows[0]!.n)).toBe(0);
  });

  test("a bad body: 400 naming the field; an unknown source: 404", async () => {
    const zero = await api.send("POST", "/api/items/cleanup", { days: 0, dry_run: "no" });
    expect(zero.status).toBe(400);
    expect((await errorOf(zero)).issues).toEqual([
      { path: "days", message: "must be at least 1" },
      { path: "dry_run", message: "Invalid input: expected boolean, received string" },
    ]);
    const missing = await api.send("POST", "/api/items/cleanup", {});
    expect((await errorOf(missing)).issues).toEqual([{ path: "days", message: "is required" }]);
    const unknown = await api.send("POST", "/api/items/cleanup", { days: 1, source: "nope" });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toEqual({ code: "not_found", message: 'no source named "nope"', issues: [] });
  });
});
