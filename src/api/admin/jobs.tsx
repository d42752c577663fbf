/** @jsxImportSource hono/jsx */
/**
 * @module
 * Jobs: the list (filtered by source, status and kind, newest first), one job with its stats and its log, and the
 * job's live panel — a fragment the page's script fetches again every second or so while the job is queued or
 * running (without JavaScript, the page refreshes itself the same way: a `<meta refresh>`). Cancel asks a queued
 * or running job to stop.
 */
import { Hono } from "hono";
import { jobView, listJobs, type JobFilter, type JobView } from "../../db/job-list.ts";
import { logPage } from "../../db/log-list.ts";
import { failedPages } from "../../db/runs.ts";
import { NotFoundError } from "../../errors.ts";
import { JOB_KINDS, JOB_STATUSES, jobKindSchema, jobStatusSchema } from "../../model/enums.ts";
import { checkJobStats, crawlJobStats, jobStatsSchema } from "../../model/job-stats.ts";
import type { AdminEnv } from "./env.ts";
import { cancelJob } from "../../jobs/lifecycle.ts";
import { Action, ListTable, pageNumber, Pager, Pill, render, Select, Table, TimeCell, When } from "./layout.tsx";
import type { Session } from "./session.ts";

const PER_PAGE = 50;

export const isLive = (job: Pick<JobView, "status">) => job.status === "queued" || job.status === "running";

function Counts({ counts }: { counts: Record<string, number> }) {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length ? <span>{entries.map(([k, n]) => `${k}: ${n}`).join(", ")}</span> : <span class="muted">none</span>;
}

/** Status, times and stats of a job: the live part of its page. */
export function JobPanel({ job, session }: { job: JobView; session: Session }) {
  const stats = jobStatsSchema.safeParse(job.stats);
  const crawl = stats.success ? crawlJobStats(stats.data) : undefined;
  const check = stats.success ? checkJobStats(stats.data) : undefined;
  return (
    <section class="card job" id="job-live" data-poll={isLive(job) ? `/admin/jobs/${job.id}/live` : undefined} data-status={job.status}>
      <p>
        <span class={`pill ${job.status}`} id="job-status">
          {job.status}
        </span>{" "}
        {job.kind} {job.dry_run ? "(dry run)" : ""} of {job.source ? <a href={`/admin/sources/${job.source_id}`}>{job.source}</a> : job.item_id ? `item ${job.item_id}` : "—"}
      </p>
      <dl class="facts">
        <dt>Queued</dt>
        <dd>
          <When at={job.created_at} />
        </dd>
        <dt>Started</dt>
        <dd>
          <When at={job.started_at} />
        </dd>
        <dt>Finished</dt>
        <dd>
          <When at={job.finished_at} />
        </dd>
        {job.error ? (
          <>
            <dt>Error</dt>
            <dd class="problem">{job.error}</dd>
          </>
        ) : null}
        {crawl ? (
          <>
            <dt>Pages</dt>
            <dd>
              <Counts counts={crawl.pages} />
            </dd>
            <dt>Items read</dt>
            <dd id="job-items-read">{crawl.items_read}</dd>
            <dt>Items</dt>
            <dd id="job-items">
              saved {crawl.items.saved}, updated {crawl.items.updated}, unchanged {crawl.items.unchanged}
              {Object.keys(crawl.items.dropped).length ? (
                <>
                  , dropped: <Counts counts={crawl.items.dropped} />
                </>
              ) : null}
            </dd>
            <dt>Errors</dt>
            <dd>
              <Counts counts={crawl.errors} />
            </dd>
          </>
        ) : null}
        {check ? (
          <>
            <dt>Action</dt>
            <dd>{check.action}</dd>
            <dt>Checks</dt>
            <dd>{check.checks.map((k) => `${k.attr}: ${k.outcome} (${k.detail})`).join("; ") || "—"}</dd>
          </>
        ) : null}
      </dl>
      {isLive(job) ? <Action session={session} action={`/admin/jobs/${job.id}/cancel`} label="Cancel job" kind="danger" confirm="Cancel this job?" /> : null}
    </section>
  );
}

function filterOf(query: Record<string, string>): { filter: JobFilter; form: Record<string, string> } {
  const filter: JobFilter = {};
  const source = Number(query.source);
  if (Number.isInteger(source) && source > 0) filter.sourceId = source;
  const status = jobStatusSchema.safeParse(query.status);
  if (status.success) filter.status = status.data;
  const kind = jobKindSchema.safeParse(query.kind);
  if (kind.success) filter.kind = kind.data;
  return { filter, form: { source: filter.sourceId ? String(filter.sourceId) : "", status: filter.status ?? "", kind: filter.kind ?? "" } };
}

export const jobScreens = new Hono<AdminEnv>()
  .get("/", async (c) => {
    const page = pageNumber(c);
    const { filter, form } = filterOf(c.req.query());
    const { jobs, total } = await listJobs(c.var.deps.database, filter, page, PER_PAGE);
    const href = (p: number) => `/admin/jobs?${new URLSearchParams({ ...form, page: String(p) })}`;
    return render(
      c,
      "Jobs",
      <>
        <form method="get" action="/admin/jobs" class="filters">
          <label>
            Status <Select name="status" value={form.status!} options={["", ...JOB_STATUSES]} />
          </label>
          <label>
            Kind <Select name="kind" value={form.kind!} options={["", ...JOB_KINDS]} />
          </label>
          <label>
            Source id <input name="source" value={form.source} inputmode="numeric" class="short" />
          </label>
          <button class="secondary">Filter</button>
        </form>
        <ListTable
          head={["Job", "Kind", "Source", "Status", "Queued", "Finished", "Items saved", "Error"]}
          rows={jobs}
          row={(job) => {
            const crawl = crawlJobStats(jobStatsSchema.safeParse(job.stats).data ?? {});
            return (
              <tr>
                <td>
                  <a href={`/admin/jobs/${job.id}`}>#{job.id}</a>
                </td>
                <td>
                  {job.kind}
                  {job.dry_run ? " (dry run)" : ""}
                </td>
                <td>{job.source ?? "—"}</td>
                <td>
                  <Pill value={job.status} />
                </td>
                <TimeCell at={job.created_at} />
                <TimeCell at={job.finished_at} />
                <td class="num">{crawl ? crawl.items.saved : ""}</td>
                <td class="problem">{job.error ?? ""}</td>
              </tr>
            );
          }}
          empty={<>No jobs{Object.keys(filter).length ? " match these filters" : " yet: start one with “Crawl now” on a source"}.</>}
        />
        <Pager page={page} perPage={PER_PAGE} total={total} href={href} />
      </>,
    );
  })
  .get("/:id{\\d+}", async (c) => {
    const id = Number(c.req.param("id"));
    const { database } = c.var.deps;
    const job = await jobView(database, id);
    if (!job) throw new NotFoundError(`no job with id ${id}`);
    const logs = await logPage(database, { jobId: id }, { offset: 0, limit: 200 });
    const crawl = crawlJobStats(jobStatsSchema.safeParse(job.stats).data ?? {});
    const failed = crawl && crawl.pages.failed > 0 ? await failedPages(database, id) : [];
    return render(
      c,
      `Job #${id}`,
      <>
        <JobPanel job={job} session={c.var.session} />
        {failed.length ? (
          <>
            <h2>Failed pages</h2>
            <Table head={["Page", "URL", "Attempts", "Error"]}>
              {failed.map((f) => (
                <tr>
                  <td>{f.kind}</td>
                  <td>{f.url}</td>
                  <td class="num">{f.attempts}</td>
                  <td class="problem">{f.error}</td>
                </tr>
              ))}
            </Table>
          </>
        ) : null}
        <h2>Log</h2>
        <ListTable
          head={["Time", "Level", "Message"]}
          rows={logs}
          row={(l) => (
            <tr class={`level-${l.level}`}>
              <TimeCell at={l.date} />
              <td>{l.level}</td>
              <td>{l.message}</td>
            </tr>
          )}
          empty={isLive(job) ? "The log shows once the job has written it." : "No log rows were kept for this job (the log level keeps errors by default)."}
        />
        {isLive(job) ? (
          <noscript>
            <meta http-equiv="refresh" content="2" />
          </noscript>
        ) : null}
      </>,
    );
  })
  .get("/:id{\\d+}/live", async (c) => {
    const id = Number(c.req.param("id"));
    const job = await jobView(c.var.deps.database, id);
    if (!job) throw new NotFoundError(`no job with id ${id}`);
    return c.html(<JobPanel job={job} session={c.var.session} />);
  })
  .post("/:id{\\d+}/cancel", async (c) => {
    const id = Number(c.req.param("id"));
    const { database, clock, queue } = c.var.deps;
    if (!(await jobView(database, id))) throw new NotFoundError(`no job with id ${id}`);
    await cancelJob(database, id, clock.now(), queue);
    return c.redirect(`/admin/jobs/${id}?done=cancelled`, 303);
  });
