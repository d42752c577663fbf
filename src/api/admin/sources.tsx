/** @jsxImportSource hono/jsx */
/**
 * @module
 * Sources with their runtime (next run, factor, runs without news), a form per source, "crawl now" (queues a crawl
 * job as `POST /api/sources/:id/crawl` does, then shows the job live) and the source's recent jobs.
 */
import { Hono, type Context } from "hono";
import { importDefinition } from "../../bundle/import.ts";
import { definitionCount, scrapersPage, sourcesPage, sourceWith } from "../../db/definition-pages.ts";
import { deleteSource } from "../../db/definition-deletes.ts";
import { listJobs } from "../../db/job-list.ts";
import { NotFoundError } from "../../errors.ts";
import { sourceSchema } from "../../model/source.ts";
import { sourceOut } from "../shapes.ts";
import type { AdminEnv } from "./env.ts";
import { FormState, readForm, tryWrite } from "./form-state.ts";
import { enqueueCrawl } from "../../jobs/enqueue.ts";
import { Action, Check, Csrf, DeleteWithItems, Field, Link, ListTable, NewButton, pageNumber, Pager, Pill, Problems, render, TimeCell, When } from "./layout.tsx";

const PER_PAGE = 50;
type Ctx = Context<AdminEnv>;

async function sourceForm(c: Ctx, state: FormState, id: number | undefined, status: 200 | 400 = 200) {
  const { database } = c.var.deps;
  const scrapers = (await scrapersPage(database, { offset: 0, limit: 500 })).map((s) => s.scraper.name);
  const session = c.var.session;
  const view = id === undefined ? undefined : await sourceWith(database, { id });
  const jobs = id === undefined ? [] : (await listJobs(database, { sourceId: id }, 1, 5)).jobs;
  const runtime = view?.runtime;
  return render(
    c,
    id === undefined ? "New source" : `Source ${view?.source.name ?? ""}`,
    <>
      {id !== undefined ? (
        <section class="card">
          <dl class="facts">
            <dt>Next run</dt>
            <dd>
              <When at={runtime?.next_action_time} />
            </dd>
            <dt>Next action factor</dt>
            <dd>{runtime?.next_action_factor ?? "—"}</dd>
            <dt>Runs without news</dt>
            <dd>{runtime?.num_zero_actions ?? "—"}</dd>
          </dl>
          <div class="actions">
            <Action session={session} action={`/admin/sources/${id}/crawl`} label="Crawl now" kind="primary">
              <label class="check">
                <input type="checkbox" name="dry_run" value="true" /> dry run
              </label>
            </Action>
            <a class="button secondary" href={`/admin/items?source=${id}`}>
              Items
            </a>
            <a class="button secondary" href={`/admin/jobs?source=${id}`}>
              All jobs
            </a>
          </div>
          <ListTable
            head={["Recent job", "Status", "Queued", "Finished"]}
            rows={jobs}
            row={(j) => (
              <tr>
                <td>
                  <a href={`/admin/jobs/${j.id}`}>
                    #{j.id} {j.kind}
                    {j.dry_run ? " (dry run)" : ""}
                  </a>
                </td>
                <td>
                  <Pill value={j.status} />
                </td>
                <TimeCell at={j.created_at} />
                <TimeCell at={j.finished_at} />
              </tr>
            )}
            empty="No job has run for this source yet."
          />
        </section>
      ) : null}
      <Problems issues={state.summary()} />
      <form method="post" action={id === undefined ? "/admin/sources" : `/admin/sources/${id}`} class="card">
        <Csrf session={session} />
        <div class="grid">
          <Field label="Name" name="name" value={state.text("name")} errors={state.errors} required />
          <Field label="Scraper" name="scraper" value={state.text("scraper")} errors={state.errors} options={scrapers} />
          <Field label="URL" name="url" value={state.text("url")} errors={state.errors} wide type="url" />
          <Field label="More start URLs (one per line)" name="urls" value={state.text("urls")} errors={state.errors} wide textarea />
          <div class="field checks">
            <Check label="active (scheduled)" name="active" checked={state.bool("active", true)} errors={state.errors} />
          </div>
        </div>
        <div class="actions">
          <button>Save source</button>
        </div>
      </form>
      {id !== undefined ? (
        <DeleteWithItems session={session} action={`/admin/sources/${id}/delete`} label="Delete source" confirm="Delete this source?" />
      ) : null}
    </>,
    status,
  );
}

const idOf = (c: Ctx) => Number(c.req.param("id"));

export const sourceScreens = new Hono<AdminEnv>()
  .get("/", async (c) => {
    const page = pageNumber(c);
    const { database } = c.var.deps;
    const [rows, total] = await Promise.all([sourcesPage(database, { offset: (page - 1) * PER_PAGE, limit: PER_PAGE }), definitionCount(database, "sources")]);
    return render(
      c,
      "Sources",
      <>
        <NewButton href="/admin/sources/new" label="New source" />
        <ListTable
          head={["Source", "Scraper", "URL", "Active", "Next run", "Factor", "Runs without news"]}
          rows={rows}
          row={({ source, scraperName, runtime }) => (
            <tr>
              <td>
                <a href={`/admin/sources/${source.id}`}>{source.name}</a>
              </td>
              <td>{scraperName}</td>
              <td class="url">
                <Link url={source.url} />
              </td>
              <td>{source.active ? "yes" : "no"}</td>
              <TimeCell at={runtime?.next_action_time} />
              <td class="num">{runtime?.next_action_factor ?? "—"}</td>
              <td class="num">{runtime?.num_zero_actions ?? "—"}</td>
            </tr>
          )}
          empty="No sources yet: a source is where a scraper starts (a site's URL)."
        />
        <Pager page={page} perPage={PER_PAGE} total={total} href={(p) => `/admin/sources?page=${p}`} />
      </>,
    );
  })
  .get("/new", (c) => sourceForm(c, new FormState(sourceSchema, { name: "", url: "", scraper: c.req.query("scraper") ?? "", active: true }), undefined))
  .post("/", async (c) => {
    const { database, clock } = c.var.deps;
    const { state, ok } = await readForm(c, sourceSchema);
    const failed = ok ? await tryWrite(state, () => importDefinition(database, "sources", state.draft, clock)) : state;
    if (failed) return sourceForm(c, failed, undefined, 400);
    const view = await sourceWith(database, { name: String(state.value("name")) });
    return c.redirect(`/admin/sources/${view!.source.id}?done=created`, 303);
  })
  .get("/:id{\\d+}", async (c) => {
    const view = await sourceWith(c.var.deps.database, { id: idOf(c) });
    if (!view) throw new NotFoundError(`no source with id ${idOf(c)}`);
    const { id: _id, scraper_id: _s, runtime: _r, ...draft } = sourceOut(view);
    return sourceForm(c, new FormState(sourceSchema, draft), idOf(c));
  })
  .post("/:id{\\d+}", async (c) => {
    const { database, clock } = c.var.deps;
    if (!(await sourceWith(database, { id: idOf(c) }))) throw new NotFoundError(`no source with id ${idOf(c)}`);
    const { state, ok } = await readForm(c, sourceSchema);
    const failed = ok ? await tryWrite(state, () => importDefinition(database, "sources", state.draft, clock, idOf(c))) : state;
    if (failed) return sourceForm(c, failed, idOf(c), 400);
    return c.redirect(`/admin/sources/${idOf(c)}?done=saved`, 303);
  })
  .post("/:id{\\d+}/crawl", async (c) => {
    const form = await c.req.parseBody();
    const job = await enqueueCrawl(c.var.deps, idOf(c), { dry_run: form.dry_run === "true" });
    return c.redirect(`/admin/jobs/${job.id}`, 303);
  })
  .post("/:id{\\d+}/delete", async (c) => {
    const form = await c.req.parseBody();
    const { database, images } = c.var.deps;
    await deleteSource(database, images, idOf(c), form.cascade === "true");
    return c.redirect("/admin/sources?done=deleted", 303);
  });
