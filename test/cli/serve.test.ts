/**
 * `dscraper serve` as users run it: real processes on a real database (the embedded default in a project folder)
 * against a real test site. A crawl asked for over HTTP, its log lines, a job cancelled from another process, a
 * process killed in the middle of a crawl and started again, a clean stop, the host/token rule, the webhook.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Job } from "../../src/model/job.ts";
import { runCli } from "../support/cli.ts";
import { heldPage, type HeldPage } from "../support/held-page.ts";
import { startHook, validSignature } from "../support/hook.ts";
import { importedProject, projectRows } from "../support/project.ts";
import { nextLinkBundle } from "../support/quotes-bundle.ts";
import { startServe, type Served } from "../support/serve.ts";
import { html, startSite } from "../support/site.ts";

const site = startSite({});
afterAll(() => site.close());

const FAST = ["--delay-ms", "0", "--ignore-robots", "--per-host", "4", "--no-scheduler"];

function listPage(name: string, n: number, next?: string): string {
  const items = [1, 2].map((i) => `<div class="q"><h2>${name} ${n}.${i}</h2><a href="/p/${name}/${n}.${i}">x</a></div>`).join("");
  return html(`${items}${next ? `<a class="next" href="${next}">next</a>` : ""}`);
}

/** A project folder whose source `name` reads /name/1 and /name/2 (held when `held` is given). */
function project(name: string, held?: HeldPage): Promise<string> {
  site.set(`/${name}/1`, listPage(name, 1, `/${name}/2`));
  site.set(`/${name}/2`, held ? held.page : listPage(name, 2));
  return importedProject(
    nextLinkBundle({ name, url: `${site.url}/${name}/1` }, [
      { name: "title", x_path: "h2/text()" },
      { name: "url", attr_type: "U", x_path: "a/@href" },
    ]),
  );
}

async function crawl(served: Served, source: string, headers: Record<string, string> = {}): Promise<Job> {
  const response = await fetch(`${served.url}/api/sources/${source}/crawl`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" });
  expect(response.status).toBe(202);
  return (await response.json()) as Job;
}

async function ended(served: Served, id: number, headers: Record<string, string> = {}): Promise<Job> {
  for (;;) {
    const job = (await (await fetch(`${served.url}/api/jobs/${id}`, { headers })).json()) as Job;
    if (job.status !== "queued" && job.status !== "running") return job;
    await Bun.sleep(20);
  }
}

/** A source's items as a client sees them (`GET /api/items`, newest first), with the list's ETag. */
async function items(served: Served, source: string, etag?: string): Promise<{ status: number; etag: string; titles: string[] }> {
  const response = await fetch(`${served.url}/api/items?source=${source}`, { headers: etag ? { "if-none-match": etag } : {} });
  const page = response.status === 200 ? ((await response.json()) as { items: { data: { title: string } }[] }) : { items: [] };
  return { status: response.status, etag: response.headers.get("etag")!, titles: page.items.map((i) => i.data.title) };
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await Bun.sleep(20);
}

describe("dscraper serve", () => {
  test("a crawl asked for over HTTP stores the items and ends succeeded; JSON log lines carry the ids; one access line per request", async () => {
    const cwd = await project("plain");
    const served = await startServe(cwd, FAST);
    try {
      expect(served.lines[0]).toMatchObject({ level: "INFO", url: served.url });
      expect(served.lines[0]!.msg).toContain(`listening on ${served.url} (API docs: ${served.url}/api/docs, admin page: ${served.url}/admin); scheduler off, 4 worker(s)`);
      expect((await fetch(`${served.url}/admin`)).status).toBe(200);
      await served.line((l) => l.level === "WARNING" && l.msg.includes("no DSCRAPER_API_TOKEN"));
      const queued = await crawl(served, "plain");
      const job = await ended(served, queued.id);
      expect(job).toMatchObject({ status: "succeeded", source: "plain", stats: { items_read: 4, items: { saved: 4 } } });
      expect(await projectRows(cwd, "SELECT count(*) AS n, count(DISTINCT unique_key) AS k FROM items")).toEqual([{ n: 4, k: 4 }]);
      const stored = await items(served, "plain");
      expect(stored.titles).toEqual(["plain 2.2", "plain 2.1", "plain 1.2", "plain 1.1"]);

      const access = await served.line((l) => l.msg === "request" && l.method === "POST");
      expect(access).toMatchObject({ level: "INFO", path: "/api/sources/plain/crawl", status: 202, duration_ms: expect.any(Number), request_id: expect.any(String) });
      const started = await served.line((l) => l.job_id === queued.id && l.msg.startsWith("crawl of source"));
      expect(started).toMatchObject({ level: "INFO", source_id: job.source_id, scraper_id: job.scraper_id });
      await served.line((l) => l.job_id === queued.id && l.msg === "crawl succeeded");

      // Another process sharing the database sees the same job.
      const listed = await runCli(["jobs", "--json", "--source", "plain", "--status", "succeeded", "--kind", "crawl"], { cwd });
      expect(listed.code).toBe(0);
      expect((JSON.parse(listed.stdout) as Job[]).map((j) => [j.id, j.status, j.stats])).toEqual([[job.id, "succeeded", job.stats]]);
      const human = await runCli(["jobs"], { cwd });
      expect(human.stdout).toContain(`${job.id}  crawl  succeeded  source plain  ${job.created_at}`);
      expect(human.stdout).toContain("pages 2, items 4 read / 4 saved / 0 updated / 0 dropped, errors 0");
      expect((await runCli(["jobs", "--status", "finished"], { cwd })).stderr).toContain("--status must be one of queued, running, succeeded, failed, cancelled, got 'finished'");

      // A crawl by another process sharing the database (the CLI): serve's very next answer shows its items.
      site.set("/plain/2", listPage("plain", 2, "/plain/3"));
      site.set("/plain/3", listPage("plain", 3));
      const cli = await runCli(["crawl", "plain", "--delay-ms", "0", "--ignore-robots"], { cwd });
      expect(cli.code).toBe(0);
      const after = await items(served, "plain", stored.etag);
      expect(after.status).toBe(200);
      expect(after.titles).toEqual(["plain 3.2", "plain 3.1", ...stored.titles]);
      expect((await items(served, "plain", after.etag)).status).toBe(304);
    } finally {
      expect(await served.stop()).toBe(0);
    }
    expect(served.lines.at(-1)!.msg).toBe("stopped");
  });

  test("'dscraper jobs cancel' from another process stops a crawl that serve runs: its request in flight is aborted", async () => {
    const held = heldPage(listPage("cancelled", 2));
    const cwd = await project("cancelled", held);
    const served = await startServe(cwd, FAST);
    try {
      const queued = await crawl(served, "cancelled");
      await until(() => held.waiting === 1);
      const cancel = await runCli(["jobs", "cancel", String(queued.id)], { cwd });
      expect(cancel.code).toBe(0);
      expect(cancel.stdout).toBe(`job ${queued.id} cancelled (it was running: the process running it stops it within seconds)\n`);
      // serve's run notices at its next heartbeat and aborts the request it waits for.
      await until(() => held.aborted === 1);
      await served.line((l) => l.job_id === queued.id && l.msg.startsWith("crawl cancelled"));
      const job = await ended(served, queued.id);
      expect(job).toMatchObject({ status: "cancelled", error: "cancelled", stats: { pages: { main: 1 } } });
      const again = await runCli(["jobs", "cancel", String(queued.id)], { cwd });
      expect(again.code).toBe(1);
      expect(again.stderr).toBe(`dscraper: job ${queued.id} has already ended: cancelled\n`);
      expect((await runCli(["jobs", "cancel", "99999"], { cwd })).code).toBe(2);
    } finally {
      held.release();
      expect(await served.stop()).toBe(0);
    }
  });

  test("killed (SIGKILL) in the middle of a crawl and started again: the job is marked failed with the reason, a new crawl completes, no item twice", async () => {
    const held = heldPage(listPage("killed", 2));
    const cwd = await project("killed", held);
    const first = await startServe(cwd, FAST);
    const queued = await crawl(first, "killed");
    await until(() => held.waiting === 1);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    expect(await projectRows(cwd, `SELECT status FROM jobs WHERE id = ${queued.id}`)).toEqual([{ status: "running" }]);
    held.release();

    const second = await startServe(cwd, FAST);
    try {
      await second.line((l) => l.job_id === queued.id && l.msg.includes("was running in a process that is gone: marked failed"));
      const dead = await ended(second, queued.id);
      expect(dead.status).toBe("failed");
      expect(dead.error).toBe(`interrupted: its process (pid ${first.proc.pid}) ended before the job ended`);
      const next = await ended(second, (await crawl(second, "killed")).id);
      expect(next).toMatchObject({ status: "succeeded", stats: { items_read: 4 } });
      expect(await projectRows(cwd, "SELECT count(*) AS n, count(DISTINCT unique_key) AS k FROM items")).toEqual([{ n: 4, k: 4 }]);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  test("SIGTERM stops cleanly: the running job ends cancelled; a job left queued is taken up at the next start", async () => {
    const held = heldPage(listPage("stopped", 2));
    const cwd = await project("stopped", held);
    const first = await startServe(cwd, [...FAST, "--log-format", "pretty"]);
    const queued = await crawl(first, "stopped");
    await until(() => held.waiting === 1);
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.text.some((t) => / INFO {4}POST \/api\/sources\/stopped\/crawl 202 \d+ ms /.test(t))).toBe(true);
    expect(first.text.at(-1)).toMatch(/ INFO {4}stopped$/);
    expect(await projectRows(cwd, `SELECT status, error FROM jobs WHERE id = ${queued.id}`)).toEqual([{ status: "cancelled", error: "cancelled (interrupted)" }]);
    expect(held.aborted).toBe(1);
    held.release();

    // A job queued while nothing ran it (as a process that stopped leaves it) waits in the database.
    await projectRows(cwd, `INSERT INTO jobs (kind, status, source_id, params, stats, created_at, heartbeat_at) VALUES ('crawl', 'queued', 1, '{"dry_run":false}', '{}', 0, 0)`);
    const [{ id }] = (await projectRows(cwd, "SELECT max(id) AS id FROM jobs")) as [{ id: number }];
    const second = await startServe(cwd, FAST);
    try {
      await second.line((l) => l.msg === `1 queued job(s) taken up again: ${id}`);
      expect(await ended(second, id)).toMatchObject({ status: "succeeded", stats: { items_read: 4 } });
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  test("a second signal exits at once, whatever is still going on", async () => {
    // A webhook that never answers keeps the stop waiting for its delivery.
    const hanging = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
    const cwd = await project("twice");
    const served = await startServe(cwd, [...FAST, "--webhook", `http://127.0.0.1:${hanging.port}/hook`]);
    try {
      await ended(served, (await crawl(served, "twice")).id);
      served.proc.kill("SIGTERM");
      await served.line((l) => l.msg.startsWith("SIGTERM: stopping"));
      served.proc.kill("SIGTERM");
      expect(await served.proc.exited).toBe(143);
      expect(served.lines.some((l) => l.msg === "stopped")).toBe(false);
    } finally {
      await hanging.stop(true);
    }
  });

  test("without DSCRAPER_API_TOKEN only loopback is served (exit 2 otherwise); with one, requests need it", async () => {
    const cwd = await project("auth");
    for (const [args, env] of [
      [["--host", "0.0.0.0"], {}],
      [[], { DSCRAPER_HOST: "192.168.1.1" }],
    ] as const) {
      const refused = await runCli(["serve", ...args, ...FAST], { cwd, env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("without DSCRAPER_API_TOKEN the API is open to anyone who can reach it, so it is served on 127.0.0.1, ::1 or localhost only");
    }
    const token = "t0ken-for-the-test";
    const hook = startHook();
    const served = await startServe(cwd, [...FAST, "--webhook", `${hook.url}/hook`], { DSCRAPER_API_TOKEN: token, DSCRAPER_WEBHOOK_SECRET: "shh" });
    try {
      expect(served.lines.some((l) => l.msg.includes("no DSCRAPER_API_TOKEN"))).toBe(false);
      expect((await fetch(`${served.url}/api/jobs`)).status).toBe(401);
      expect((await fetch(`${served.url}/api/health`)).status).toBe(200);
      const auth = { authorization: `Bearer ${token}` };
      const job = await ended(served, (await crawl(served, "auth", auth)).id, auth);
      expect(job.status).toBe("succeeded");
      // The webhook of the global --webhook, signed with DSCRAPER_WEBHOOK_SECRET.
      await until(() => hook.received.length === 1);
      const [delivery] = hook.received;
      expect(validSignature("shh", delivery!.body, delivery!.headers.get("x-dscraper-signature"))).toBe(true);
      expect(delivery!.json).toMatchObject({ event: "job.finished", scraper: "q", job: { id: job.id, status: "succeeded", source: "auth", stats: job.stats } });
    } finally {
      expect(await served.stop()).toBe(0);
      await hook.close();
    }
  });
});
