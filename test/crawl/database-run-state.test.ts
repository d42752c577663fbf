/**
 * The crawl run state kept in the database (what the Worker's queue driver runs on), against a real libSQL file and
 * a real libSQL server over HTTP: a run's start, steps claimed under a lease, pages committed once however often
 * they are delivered, detail pages shared by the items waiting on them, counts in the job's stats, the run's end
 * when its last step is done, and its failed pages.
 */
import { describe, expect, test } from "bun:test";
import { DatabaseRunState, type StepTask } from "../../src/crawl/database-run-state.ts";
import type { DetailNeed, ItemRead } from "../../src/crawl/item.ts";
import type { PreparedList } from "../../src/crawl/page-step.ts";
import type { Database } from "../../src/db/connect.ts";
import { cancelJob, claimJob, insertJob, jobById } from "../../src/db/jobs.ts";
import { claimStep, failedPages, finishRun, releaseStep, runProgress, startRun, type ClaimedStep, type PlannedPage } from "../../src/db/runs.ts";
import { crawlJobStats, emptyCrawlStats, emptyPipelineCounts } from "../../src/model/job-stats.ts";
import { DATABASE_BACKENDS } from "../support/temp.ts";

let ids = 0;
const newId = () => `id-${++ids}`;
const alive = () => new Date(Date.now() + 600_000);

function listTask(path: string, kind: "MP" | "FP" = "MP"): PlannedPage<StepTask> {
  const key = `GET http://x.test${path}\n`;
  return { kind, task: { kind, url: `http://x.test${path}`, vars: {}, depth: 0, key, dontFilter: false }, key, dontFilter: false };
}

function need(path: string, shared = true): DetailNeed {
  return { pageType: "DP1", request: { method: "GET", url: `http://x.test${path}` }, key: `DP1 GET http://x.test${path}\n`, shared };
}

function item(title: string, needs: DetailNeed[] = []): ItemRead {
  return { values: { title }, pageUrl: "http://x.test/list", detailErrors: [], details: needs };
}

function follow(path: string): PreparedList {
  const task = listTask(path, "FP").task;
  if (task.kind === "DP") throw new Error("a list task");
  return { task, request: { method: "GET", url: task.url }, key: task.key, dontFilter: false };
}

/** A running crawl job with a run of these main pages. */
async function run(database: Database, pages: PlannedPage<StepTask>[], limits: { maxPages?: number; maxItems?: number } = {}) {
  const job = await insertJob(database, { kind: "crawl" }, new Date());
  const claimed = (await claimJob(database, job.id, new Date()))!;
  const started = await startRun(database, {
    jobId: job.id,
    attempt: claimed.attempt,
    plan: { defs: "…" },
    maxPages: limits.maxPages ?? null,
    maxItems: limits.maxItems ?? null,
    stats: { ...emptyCrawlStats(), items: emptyPipelineCounts() },
    pages,
    aliveUntil: alive(),
    sendLimit: 100,
  });
  return { jobId: job.id, attempt: claimed.attempt, started: started! };
}

/** Claims step `stepId` for a new token; the state over it. */
async function take(database: Database, jobId: number, stepId: number, token = newId()) {
  const claim: ClaimedStep<ItemRead, StepTask> = await claimStep(database, { jobId, stepId, token, leaseMs: 60_000, withPlan: false }, newId());
  const state = new DatabaseRunState(database, { jobId, stepId, token, admitted: claim.admitted }, { aliveUntil: alive, piggyback: () => [], newId });
  return { claim, state, token };
}

async function stats(database: Database, jobId: number) {
  return crawlJobStats((await jobById(database, jobId))!.stats)!;
}

describe.each(DATABASE_BACKENDS)("the crawl run state in the database ($name)", ({ open }) => {
  test("a run plans its main pages once per request; starting it again adds nothing", async () => {
    const database = await open();
    const { jobId, attempt, started } = await run(database, [listTask("/1"), listTask("/2"), listTask("/1")]);
    expect(started.steps.map((s) => s.task.kind === "DP" ? "" : s.task.url)).toEqual(["http://x.test/1", "http://x.test/2"]);
    expect(started.pending).toBe(2);
    const again = await startRun(database, { jobId, attempt, plan: {}, maxPages: null, maxItems: null, stats: {}, pages: [listTask("/3")], aliveUntil: alive(), sendLimit: 100 });
    expect(again!.steps.map((s) => s.id)).toEqual(started.steps.map((s) => s.id));
    expect(again!.pending).toBe(2);
    expect((await stats(database, jobId)).pages.main).toBe(0);
  });

  test("a step is held by one run at a time: another token waits out the lease, the carried token takes over", async () => {
    const database = await open();
    const { jobId, started } = await run(database, [listTask("/1")]);
    const step = started.steps[0]!.id;
    const first = await take(database, jobId, step, "A");
    expect(first.claim).toMatchObject({ status: "pending", held: true, admitted: true, attempts: 0, error: null });
    const other = await take(database, jobId, step, "B");
    expect(other.claim.held).toBe(false);
    expect(other.claim.leaseLeftMs).toBeGreaterThan(0);
    const handedOn = await claimStep(database, { jobId, stepId: step, token: "A", carried: "A", leaseMs: 60_000, withPlan: true }, newId());
    expect(handedOn).toMatchObject({ held: true, attempts: 0, run: { pending: 1, plan: { defs: "…" } } });
    // A failed attempt gives the step back at once, its error and the attempt kept.
    await releaseStep(database, { stepId: step, token: "A" }, "http_503: HTTP 503");
    expect((await take(database, jobId, step, "B")).claim).toMatchObject({ held: true, attempts: 1, error: "http_503: HTTP 503" });
  });

  test("a page commits once: a second commit (a message delivered again) changes no count", async () => {
    const database = await open();
    const { jobId, started } = await run(database, [listTask("/1")]);
    const { state } = await take(database, jobId, started.steps[0]!.id);
    const first = await state.listPageRead({ page: "main" }, [item("a"), item("b")]);
    expect(first).toMatchObject({ committed: true, status: "read", pending: 1 });
    expect(first.complete.map((i) => i.values.title)).toEqual(["a", "b"]);
    const second = await state.listPageRead({ page: "main" }, [item("a"), item("b")]);
    expect(second.committed).toBe(false);
    expect(await stats(database, jobId)).toMatchObject({ pages: { main: 1 }, items_read: 2 });
    const end = await state.finish({ ...emptyPipelineCounts(), valid: 2, saved: 2 });
    expect(end).toEqual({ ended: true, pending: 0 });
    expect(await state.finish({ ...emptyPipelineCounts(), valid: 2, saved: 2 })).toEqual({ ended: false, pending: 0 });
    expect((await stats(database, jobId)).items).toMatchObject({ valid: 2, saved: 2 });
  });

  test("a shared detail page is planned once; the items waiting on it complete when it is read, later ones at once", async () => {
    const database = await open();
    const { jobId, started } = await run(database, [listTask("/1"), listTask("/2")]);
    const [one, two] = started.steps;
    const p1 = await (await take(database, jobId, one!.id)).state.listPageRead({ page: "main" }, [item("a", [need("/author")]), item("b", [need("/author")]), item("c")]);
    expect(p1.complete.map((i) => i.values.title)).toEqual(["c"]);
    expect(p1.children.map((c) => c.task)).toEqual([{ kind: "DP", pageType: "DP1", request: need("/author").request, slot: need("/author").key }]);
    expect(p1.pending).toBe(3);
    const p2 = await (await take(database, jobId, two!.id)).state.listPageRead({ page: "main" }, [item("d", [need("/author")])]);
    expect(p2).toMatchObject({ complete: [], children: [], status: "done", pending: 2 });

    const detail = await take(database, jobId, p1.children[0]!.id);
    expect(detail.claim.task).toEqual(p1.children[0]!.task);
    const read = await detail.state.detailPageRead(need("/author").key, { page: "detail" }, { values: { born: "1900" } });
    expect(read.complete.map((i) => i.values)).toEqual([
      { title: "a", born: "1900" },
      { title: "b", born: "1900" },
      { title: "d", born: "1900" },
    ]);

    // Two steps hold items still to store: the first list page (c) and the detail page (a, b, d).
    expect((await runProgress(database, jobId))!.pending).toBe(2);
    expect(await stats(database, jobId)).toMatchObject({ pages: { main: 2, detail: 1 }, items_read: 4 });
  });

  test("a failed detail page completes its items with its error; private (dont_filter) pages are one per item", async () => {
    const database = await open();
    const { jobId, started } = await run(database, [listTask("/1")]);
    const list = await (await take(database, jobId, started.steps[0]!.id)).state.listPageRead({ page: "main" }, [item("a", [need("/p", false)]), item("b", [need("/p", false)])]);
    expect(list.children).toHaveLength(2);
    const [pa, pb] = list.children;
    const a = await (await take(database, jobId, pa!.id)).state.detailPageRead((pa!.task as { slot: string }).slot, { page: "failed", error: "http_404" }, { error: "HTTP 404" });
    expect(a.complete).toEqual([{ values: { title: "a" }, pageUrl: "http://x.test/list", detailErrors: ["DP1 http://x.test/p: HTTP 404"] }]);
    const b = await (await take(database, jobId, pb!.id)).state.detailPageRead((pb!.task as { slot: string }).slot, { page: "detail" }, { values: { v: "2" } });
    expect(b.complete.map((i) => i.values)).toEqual([{ title: "b", v: "2" }]);
    expect(await stats(database, jobId)).toMatchObject({ pages: { detail: 1, failed: 1 }, errors: { http_404: 1 } });
  });

  test("follow pages are planned once per request across the run; the repeats count as duplicates", async () => {
    const database = await open();
    const { jobId, started } = await run(database, [listTask("/1"), listTask("/2")]);
    const first = await take(database, jobId, started.steps[0]!.id);
    first.state.follow([follow("/next"), follow("/next"), follow("/other")]);
    const p1 = await first.state.listPageRead({ page: "main" }, []);
    expect(p1.children.map((c) => (c.task.kind === "DP" ? "" : c.task.url))).toEqual(["http://x.test/next", "http://x.test/other"]);
    const second = await take(database, jobId, started.steps[1]!.id);
    second.state.follow([follow("/next"), follow("/1")]);
    const p2 = await second.state.listPageRead({ page: "main" }, []);
    expect(p2.children).toEqual([]);
    expect((await stats(database, jobId)).pages.duplicate).toBe(3);
    expect(p2.pending).toBe(2);
  });

  test("max_pages_read: list pages past it are not admitted; max_items_read: items past it are not read", async () => {
    const database = await open();
    const { jobId, started } = await run(database, [listTask("/1"), listTask("/2")], { maxPages: 1, maxItems: 3 });
    const first = await take(database, jobId, started.steps[0]!.id);
    const second = await take(database, jobId, started.steps[1]!.id);
    expect([first.state.admitListPage(), second.state.admitListPage()]).toEqual(["fetch", "over"]);
    const read = await first.state.listPageRead({ page: "main" }, [item("a"), item("b"), item("c"), item("d", [need("/x")])]);
    expect(read.complete.map((i) => i.values.title)).toEqual(["a", "b", "c"]);
    expect(read.children).toEqual([]);
    expect((await stats(database, jobId)).items_read).toBe(3);
  });

  test("the run ends when its last step is done: the job's status, its rows gone but its failed pages", async () => {
    const database = await open();
    const { jobId, attempt, started } = await run(database, [listTask("/ok"), listTask("/broken")]);
    const ok = await take(database, jobId, started.steps[0]!.id);
    await ok.state.listPageRead({ page: "main" }, []);
    await releaseStep(database, { stepId: started.steps[1]!.id, token: (await take(database, jobId, started.steps[1]!.id)).token }, "http_503: main page http://x.test/broken: HTTP 503");
    const broken = await take(database, jobId, started.steps[1]!.id);
    broken.state.fail("http_503: main page http://x.test/broken: HTTP 503");
    expect(await finishRun(database, { jobId, attempt, status: "succeeded", error: null, now: new Date() })).toBe(false);
    const last = await broken.state.listPageRead({ page: "failed", error: "http_503" }, []);
    expect(last).toMatchObject({ status: "failed", pending: 0 });
    expect(await finishRun(database, { jobId, attempt: attempt + 1, status: "succeeded", error: null, now: new Date() })).toBe(false);
    expect(await finishRun(database, { jobId, attempt, status: "succeeded", error: null, now: new Date() })).toBe(true);
    expect((await jobById(database, jobId))!.status).toBe("succeeded");
    expect(await failedPages(database, jobId)).toEqual([{ kind: "MP", url: "http://x.test/broken", error: "http_503: main page http://x.test/broken: HTTP 503", attempts: 1 }]);
    expect(await runProgress(database, jobId)).toBeUndefined();
    const leftovers = await database.client.execute({ sql: "SELECT count(*) AS n FROM crawl_steps WHERE job_id = ? AND status <> 'failed'", args: [jobId] });
    expect(Number(leftovers.rows[0]!.n)).toBe(0);
  });

  test("a cancelled job: its steps' claims see it, and nothing more is planned", async () => {
    const database = await open();
    const { jobId, started } = await run(database, [listTask("/1")]);
    await cancelJob(database, jobId, new Date());
    const { claim } = await take(database, jobId, started.steps[0]!.id);
    expect(claim.job?.status).toBe("cancelled");
  });
});
