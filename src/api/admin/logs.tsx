/** @jsxImportSource hono/jsx */
/**
 * @module
 * The log rows jobs kept (newest first; filters: scraper, job, level and above, marker type), and the log
 * markers that type rows as they are stored (list, create, delete) — the queries of `GET /api/logs` and
 * `/api/log-markers`.
 */
import { Hono, type Context } from "hono";
import { scrapersPage } from "../../db/definition-pages.ts";
import { createLogMarker, deleteLogMarker, logCount, logMarkersPage, logPage, type LogQuery } from "../../db/log-list.ts";
import { LOG_LEVELS, logLevelSchema, MARK_TYPES, markTypeSchema } from "../../model/enums.ts";
import { logMarkerSchema } from "../../model/log-marker.ts";
import type { AdminEnv } from "./env.ts";
import { FormState, readForm, tryWrite } from "./form-state.ts";
import { Action, Csrf, Field, ListTable, pageNumber, Pager, Pill, Problems, render, Select, TimeCell } from "./layout.tsx";

const PER_PAGE = 50;

export const logScreens = new Hono<AdminEnv>()
  .get("/", (c) => logsPage(c, new FormState(logMarkerSchema, { mark_with_type: "important" })))
  .post("/markers", async (c) => {
    const { state, ok } = await readForm(c, logMarkerSchema);
    const failed = ok ? await tryWrite(state, async () => void (await createLogMarker(c.var.deps.database, logMarkerSchema.parse(state.draft)))) : state;
    if (failed) return logsPage(c, failed, 400);
    return c.redirect("/admin/logs?done=marker", 303);
  })
  .post("/markers/:id{\\d+}/delete", async (c) => {
    await deleteLogMarker(c.var.deps.database, Number(c.req.param("id")));
    return c.redirect("/admin/logs?done=deleted", 303);
  });

async function logsPage(c: Context<AdminEnv>, marker: FormState, status: 200 | 400 = 200) {
  const { database } = c.var.deps;
  const page = pageNumber(c);
  const query: LogQuery = {};
  const scraperId = Number(c.req.query("scraper"));
  if (Number.isInteger(scraperId) && scraperId > 0) query.scraperId = scraperId;
  const jobId = Number(c.req.query("job"));
  if (Number.isInteger(jobId) && jobId > 0) query.jobId = jobId;
  const level = logLevelSchema.safeParse(c.req.query("level"));
  if (level.success) query.level = level.data;
  const type = markTypeSchema.safeParse(c.req.query("type"));
  if (type.success) query.type = type.data;
  const [rows, total, scrapers, markers] = await Promise.all([
    logPage(database, query, { offset: (page - 1) * PER_PAGE, limit: PER_PAGE }),
    logCount(database, query),
    scrapersPage(database, { offset: 0, limit: 500 }),
    logMarkersPage(database, { offset: 0, limit: 200 }),
  ]);
  const form = { scraper: query.scraperId ? String(query.scraperId) : "", job: query.jobId ? String(query.jobId) : "", level: query.level ?? "", type: query.type ?? "" };
  const scraperOptions = scrapers.map((s): [string, string] => [String(s.scraper.id), s.scraper.name]);
  return render(
    c,
    "Logs",
    <>
      <form method="get" action="/admin/logs" class="filters">
        <label>
          Scraper <Select name="scraper" value={form.scraper} options={["", ...scraperOptions]} />
        </label>
        <label>
          Level and above <Select name="level" value={form.level} options={["", ...LOG_LEVELS]} />
        </label>
        <label>
          Marker type <Select name="type" value={form.type} options={["", ...MARK_TYPES]} />
        </label>
        <label>
          Job <input name="job" value={form.job} inputmode="numeric" class="short" />
        </label>
        <button class="secondary">Filter</button>
      </form>
      <ListTable
        head={["Time", "Level", "Type", "Scraper", "Job", "Message"]}
        rows={rows}
        row={(l) => (
          <tr class={`level-${l.level}`}>
            <TimeCell at={l.date} />
            <td>{l.level}</td>
            <td>{l.type ? <Pill value={l.type} /> : ""}</td>
            <td>{l.scraper ?? "—"}</td>
            <td>{l.job_id ? <a href={`/admin/jobs/${l.job_id}`}>#{l.job_id}</a> : "—"}</td>
            <td class="message">
              {l.message}
              {l.ref_object ? <div class="muted">{l.ref_object}</div> : null}
            </td>
          </tr>
        )}
        empty={<>No log rows{Object.keys(query).length ? " match these filters" : " yet (jobs keep ERROR rows and above by default)"}.</>}
      />
      <Pager page={page} perPage={PER_PAGE} total={total} href={(p) => `/admin/logs?${new URLSearchParams({ ...form, page: String(p) })}`} />
      <h2>Log markers</h2>
      <ListTable
        head={["Message contains", "Reference", "Scraper", "Type", ""]}
        rows={markers}
        row={(m) => (
          <tr>
            <td>{m.message_contains}</td>
            <td>{m.ref_object ?? "any"}</td>
            <td>{m.scraper ?? "every scraper"}</td>
            <td>
              <span class={`pill ${m.mark_with_type}`}>{m.mark_with_type === "custom" ? m.custom_type : m.mark_with_type}</span>
            </td>
            <td>
              <Action session={c.var.session} action={`/admin/logs/markers/${m.id}/delete`} label="Delete" kind="danger" />
            </td>
          </tr>
        )}
        empty="No log markers: a marker types the log rows whose message contains a text, so they can be filtered."
      />
      <Problems issues={marker.summary()} />
      <form method="post" action="/admin/logs/markers" class="card">
        <Csrf session={c.var.session} />
        <div class="grid">
          <Field label="Message contains" name="message_contains" value={marker.text("message_contains")} errors={marker.errors} />
          <Field label="Reference (optional)" name="ref_object" value={marker.text("ref_object")} errors={marker.errors} />
          <Field label="Scraper" name="scraper" value={marker.text("scraper")} errors={marker.errors} options={["", ...scrapers.map((s) => s.scraper.name)]} />
          <Field label="Type" name="mark_with_type" value={marker.text("mark_with_type")} errors={marker.errors} options={MARK_TYPES} />
          <Field label="Custom type" name="custom_type" value={marker.text("custom_type")} errors={marker.errors} />
        </div>
        <button>Add marker</button>
      </form>
    </>,
    status,
  );
}
