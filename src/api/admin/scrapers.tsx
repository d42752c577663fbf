/** @jsxImportSource hono/jsx */
/**
 * @module
 * Scrapers: the list, and the editor (`scraper-editor.tsx`) for a new or stored scraper. One form posts both
 * "save" (through the import's checks, as `PUT /api/scrapers/:id`) and "try it" (a dry run of the unsaved form on
 * the first main page: `crawl/try-scraper.ts`). Beside it: clone, pause/activate, the checker test (the same
 * core function as `POST /api/scrapers/:id/checker-test`) and delete.
 */
import { Hono, type Context } from "hono";
import { cloneScraper } from "../../bundle/clone.ts";
import { importDefinition } from "../../bundle/import.ts";
import { testCheckers } from "../../check/checker-test.ts";
import { tryScraper } from "../../crawl/try-scraper.ts";
import { classesPage, classWith, definitionCount, scrapersPage, scraperWith, sourcesOfScraper } from "../../db/definition-pages.ts";
import { deleteScraper } from "../../db/definition-deletes.ts";
import { ConflictError, NotFoundError, ValidationError, type Issue } from "../../errors.ts";
import { isHttpUrl } from "../../model/common.ts";
import { scraperStatusSchema } from "../../model/enums.ts";
import { checkScraperAgainstClass, scraperSchema, type Scraper } from "../../model/scraper.ts";
import { formatPath } from "../../errors.ts";
import { scraperOut } from "../shapes.ts";
import type { AdminEnv } from "./env.ts";
import { FormState, readForm, tryWrite } from "./form-state.ts";
import { Action, ListTable, NewButton, pageNumber, Pager, Pill, render } from "./layout.tsx";
import { ScraperEditor, type EditorProps } from "./scraper-editor.tsx";

const PER_PAGE = 50;

type Ctx = Context<AdminEnv>;

/** Everything the editor shows besides the form: classes, the class's attrs, the first source, the tools. */
async function editorContext(c: Ctx, state: FormState, id: number | undefined): Promise<Omit<EditorProps, "state" | "action" | "session">> {
  const { database } = c.var.deps;
  const classes = await classesPage(database, { offset: 0, limit: 500 });
  const className = String(state.value("class") ?? "");
  const cls = classes.find((k) => k.name === className) ?? (className === "" ? classes[0] : undefined);
  const first = id === undefined ? undefined : (await sourcesOfScraper(database, id, 1))[0];
  const status = String(state.value("status") ?? "");
  const session = c.var.session;
  return {
    classes: classes.map((k) => k.name),
    attrs: cls?.definition.attrs.map((a) => a.name) ?? [],
    ...(first ? { firstSourceUrl: first.source.url } : {}),
    ...(id !== undefined
      ? {
          tools: (
            <section class="tools">
              <Action session={session} action={`/admin/scrapers/${id}/clone`} label="Clone" />
              <Action session={session} action={`/admin/scrapers/${id}/status`} label={status === "ACTIVE" ? "Pause" : "Activate"}>
                <input type="hidden" name="status" value={status === "ACTIVE" ? "PAUSED" : "ACTIVE"} />
              </Action>
              <Action session={session} action={`/admin/scrapers/${id}/checker-test`} label="Test checkers" />
              <a class="button secondary" href={`/admin/logs?scraper=${id}`}>
                Logs
              </a>
              <Action session={session} action={`/admin/scrapers/${id}/delete`} label="Delete scraper" kind="danger" confirm="Delete this scraper (and its log)?" />
            </section>
          ),
        }
      : {}),
  };
}

async function editor(c: Ctx, state: FormState, id: number | undefined, extra: Partial<EditorProps> = {}, status: 200 | 400 = 200) {
  const action = id === undefined ? "/admin/scrapers" : `/admin/scrapers/${id}`;
  const title = id === undefined ? "New scraper" : `Scraper ${String(state.value("name") ?? "")}`;
  return render(c, title, <ScraperEditor state={state} action={action} session={c.var.session} {...(await editorContext(c, state, id))} {...extra} />, status);
}

async function stored(c: Ctx, id: number) {
  const view = await scraperWith(c.var.deps.database, { id });
  if (!view) throw new NotFoundError(`no scraper with id ${id}`);
  const { id: _id, class_id: _classId, ...draft } = scraperOut(view);
  return draft;
}

/** "Try it" on the posted form: problems first (the form's, then its class's), else a dry run. */
async function tryForm(c: Ctx, state: FormState, id: number | undefined, url: string) {
  const { database, fetcher, clock, settings } = c.var.deps;
  const draft = scraperSchema.safeParse(state.draft);
  const cls = await classWith(database, { name: String(state.value("class") ?? "") });
  const issues: Issue[] = [];
  if (!cls) issues.push({ path: "class", message: "no stored class has this name" });
  else if (draft.success) checkScraperAgainstClass(draft.data, cls.definition.attrs, cls.name, (path, message) => issues.push({ path: formatPath(path), message }));
  const first = id === undefined ? undefined : (await sourcesOfScraper(database, id, 1))[0];
  const target = url || first?.source.url || "";
  if (!isHttpUrl(target)) issues.push({ path: "_try_url", message: target ? "must be an absolute http(s) URL" : "type a URL to try: this scraper has no source yet" });
  if (issues.length || !draft.success || !cls) return editor(c, new FormState(scraperSchema, state.draft, [...state.issues, ...issues]), id, { tryUrl: url }, 400);
  const tried = await tryScraper({ fetcher, env: { timeZone: settings.timeZone ?? "UTC", now: () => clock.now() } }, cls.definition, bodyOf(draft.data), target, c.req.raw.signal);
  return editor(c, state, id, { tried, tryUrl: url });
}

function bodyOf(s: Scraper) {
  const { name: _n, class: _c, status: _s, ...body } = s;
  return body;
}

async function save(c: Ctx, id: number | undefined) {
  const { database, clock } = c.var.deps;
  const { state, ok } = await readForm(c, scraperSchema);
  const form = await c.req.parseBody();
  const tryUrl = typeof form._try_url === "string" ? form._try_url.trim() : "";
  if (form._action === "try") return ok ? tryForm(c, state, id, tryUrl) : editor(c, state, id, { tryUrl }, 400);
  const failed = ok ? await tryWrite(state, () => importDefinition(database, "scrapers", state.draft, clock, id)) : state;
  if (failed) return editor(c, failed, id, { tryUrl }, 400);
  const saved = id ?? (await scraperWith(database, { name: String(state.value("name")) }))!.scraper.id;
  return c.redirect(`/admin/scrapers/${saved}?done=${id === undefined ? "created" : "saved"}`, 303);
}

const idOf = (c: Ctx) => Number(c.req.param("id"));

export const scraperScreens = new Hono<AdminEnv>()
  .get("/", async (c) => {
    const page = pageNumber(c);
    const { database } = c.var.deps;
    const [rows, total] = await Promise.all([scrapersPage(database, { offset: (page - 1) * PER_PAGE, limit: PER_PAGE }), definitionCount(database, "scrapers")]);
    return render(
      c,
      "Scrapers",
      <>
        <NewButton href="/admin/scrapers/new" label="New scraper" />
        <ListTable
          head={["Scraper", "Class", "Status", "Pagination", "Elems", "Checkers"]}
          rows={rows}
          row={({ scraper, className }) => (
            <tr>
              <td>
                <a href={`/admin/scrapers/${scraper.id}`}>{scraper.name}</a>
              </td>
              <td>{className}</td>
              <td>
                <Pill value={scraper.status} />
              </td>
              <td>{scraper.definition.pagination_type}</td>
              <td class="num">{scraper.definition.elems.length}</td>
              <td class="num">{scraper.definition.checkers.length}</td>
            </tr>
          )}
          empty="No scrapers yet: a scraper says where a class's values are on a page (XPaths). Create a class first, then a scraper."
        />
        <Pager page={page} perPage={PER_PAGE} total={total} href={(p) => `/admin/scrapers?page=${p}`} />
      </>,
    );
  })
  .get("/new", async (c) => {
    const draft = { name: "", class: c.req.query("class") ?? "", status: "PAUSED", page_types: [{ page_type: "MP" }], elems: [] };
    return editor(c, new FormState(scraperSchema, draft), undefined);
  })
  .post("/", (c) => save(c, undefined))
  .get("/:id{\\d+}", async (c) => editor(c, new FormState(scraperSchema, await stored(c, idOf(c))), idOf(c)))
  .post("/:id{\\d+}", async (c) => {
    await stored(c, idOf(c));
    return save(c, idOf(c));
  })
  .post("/:id{\\d+}/clone", async (c) => {
    const { database, clock } = c.var.deps;
    const name = await cloneScraper(database, idOf(c), clock);
    return c.redirect(`/admin/scrapers/${(await scraperWith(database, { name }))!.scraper.id}?done=cloned`, 303);
  })
  .post("/:id{\\d+}/status", async (c) => {
    const { database, clock } = c.var.deps;
    const sent = scraperStatusSchema.safeParse((await c.req.parseBody()).status);
    if (!sent.success) throw new ValidationError([{ path: "status", message: `must be one of ${scraperStatusSchema.options.join(", ")}` }]);
    const status = sent.data;
    await importDefinition(database, "scrapers", { ...(await stored(c, idOf(c))), status }, clock, idOf(c));
    return c.redirect(`/admin/scrapers/${idOf(c)}?done=status`, 303);
  })
  .post("/:id{\\d+}/checker-test", async (c) => {
    const draft = await stored(c, idOf(c));
    if (draft.checkers.length === 0) throw new ConflictError(`scraper "${draft.name}" has no checkers to test`);
    const results = await testCheckers({ name: draft.name, body: draft }, c.var.deps.fetcher, c.req.raw.signal);
    return editor(c, new FormState(scraperSchema, draft), idOf(c), { checkerTest: results });
  })
  .post("/:id{\\d+}/delete", async (c) => {
    await deleteScraper(c.var.deps.database, idOf(c));
    return c.redirect("/admin/scrapers?done=deleted", 303);
  });
