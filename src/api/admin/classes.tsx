/** @jsxImportSource hono/jsx */
/**
 * @module
 * Scraped object classes and their attrs: the list, and one form per class (new or stored) with its scheduler
 * settings and a table of attrs. Saving goes through the import's checks, as `PUT /api/classes/:id` does.
 */
import { Hono } from "hono";
import { importDefinition } from "../../bundle/import.ts";
import { classesPage, classWith, definitionCount } from "../../db/definition-pages.ts";
import { deleteClass } from "../../db/definition-deletes.ts";
import { NotFoundError } from "../../errors.ts";
import { attrTypeSchema, ATTR_TYPES } from "../../model/attr.ts";
import { scrapedClassSchema } from "../../model/scraped-class.ts";
import { CHECKER_SCHEDULER_DEFAULTS, SCRAPER_SCHEDULER_DEFAULTS } from "../../model/scheduler-conf.ts";
import { SCHEDULER_KEYS } from "../../bundle/dds-codes.ts";
import { classOut } from "../shapes.ts";
import type { AdminEnv } from "./env.ts";
import { FormState, readForm, tryWrite } from "./form-state.ts";
import { Check, Csrf, DeleteWithItems, Errors, Field, ListTable, NewButton, pageNumber, Pager, Problems, render, Select } from "./layout.tsx";
import type { Session } from "./session.ts";

const PER_PAGE = 50;
const ATTR_OPTIONS = attrTypeSchema.options.map((t): [string, string] => [t, `${t} ${ATTR_TYPES[t]}`]);

function ClassForm({ state, action, session, id }: { state: FormState; action: string; session: Session; id?: number }) {
  const attrs = [...state.rows("attrs"), { _blank: true }];
  return (
    <>
      <Problems issues={state.summary()} />
      <form method="post" action={action} class="card">
        <Csrf session={session} />
        <div class="grid">
          <Field label="Name" name="name" value={state.text("name")} errors={state.errors} required />
          <Field label="Comments" name="comments" value={state.text("comments")} errors={state.errors} wide />
        </div>
        <h2>Attrs</h2>
        <Errors messages={state.errors.get("attrs")} />
        <div class="scroll">
          <table class="rows" data-rows="attrs">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Order</th>
                <th>Options</th>
                <th>Remove</th>
              </tr>
            </thead>
            <tbody>
              {attrs.map((row, i) => {
                const n = (f: string) => `attrs[${i}].${f}`;
                const blank = row._blank === true;
                return (
                  <tr class={blank ? "blank" : undefined} data-row={i}>
                    <td>
                      {blank ? <input type="hidden" name={n("_blank")} value="1" /> : null}
                      <input id={`f-${n("name")}`} name={n("name")} value={state.text(n("name"))} aria-label="attr name" />
                      <Errors messages={state.errors.get(n("name"))} />
                    </td>
                    <td>
                      <Select id={`f-${n("attr_type")}`} name={n("attr_type")} value={state.text(n("attr_type"))} options={blank ? ["", ...ATTR_OPTIONS] : ATTR_OPTIONS} />
                      <Errors messages={state.errors.get(n("attr_type"))} />
                    </td>
                    <td>
                      <input id={`f-${n("order")}`} name={n("order")} value={state.text(n("order"))} inputmode="numeric" class="short" aria-label="order" />
                      <Errors messages={state.errors.get(n("order"))} />
                    </td>
                    <td class="checks">
                      <Check label="id field" name={n("id_field")} checked={state.bool(n("id_field"), false)} errors={state.errors} />
                      <Check label="saved" name={n("save_to_db")} checked={state.bool(n("save_to_db"), true)} errors={state.errors} />
                      <Check label="many" name={n("many")} checked={state.bool(n("many"), false)} errors={state.errors} />
                    </td>
                    <td>{blank ? <span class="muted">new</span> : <Check label="remove" name={n("_remove")} checked={false} />}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <button type="button" class="secondary js-only" data-add-row="attrs">
          Add attr
        </button>
        <details>
          <summary>Scheduling</summary>
          {(["scraper_scheduler_conf", "checker_scheduler_conf"] as const).map((conf) => (
            <fieldset>
              <legend>{conf === "scraper_scheduler_conf" ? "Scraper runs (sources)" : "Checker runs (items)"}</legend>
              <div class="grid">
                {SCHEDULER_KEYS.map((key) => (
                  <Field label={key} name={`${conf}.${key}`} value={state.text(`${conf}.${key}`)} errors={state.errors} />
                ))}
              </div>
            </fieldset>
          ))}
        </details>
        <div class="actions">
          <button>Save class</button>
        </div>
      </form>
      {id !== undefined ? (
        <DeleteWithItems session={session} action={`/admin/classes/${id}/delete`} label="Delete class" confirm="Delete this class and all its items?" />
      ) : null}
    </>
  );
}

export const classScreens = new Hono<AdminEnv>()
  .get("/", async (c) => {
    const page = pageNumber(c);
    const { database } = c.var.deps;
    const [rows, total] = await Promise.all([classesPage(database, { offset: (page - 1) * PER_PAGE, limit: PER_PAGE }), definitionCount(database, "classes")]);
    return render(
      c,
      "Classes",
      <>
        <NewButton href="/admin/classes/new" label="New class" />
        <ListTable
          head={["Class", "Attrs", "Items"]}
          rows={rows}
          row={(row) => (
            <tr>
              <td>
                <a href={`/admin/classes/${row.id}`}>{row.name}</a>
              </td>
              <td>{row.definition.attrs.map((a) => `${a.name} (${a.attr_type})`).join(", ")}</td>
              <td>
                <a href={`/admin/items?class=${row.id}`}>items</a>
              </td>
            </tr>
          )}
          empty="No classes yet: a class says what an item is (its attrs). Create one, or import a bundle."
        />
        <Pager page={page} perPage={PER_PAGE} total={total} href={(p) => `/admin/classes?page=${p}`} />
      </>,
    );
  })
  .get("/new", (c) => {
    const draft = { name: "", scraper_scheduler_conf: SCRAPER_SCHEDULER_DEFAULTS, checker_scheduler_conf: CHECKER_SCHEDULER_DEFAULTS, attrs: [{ name: "base", attr_type: "B" }] };
    return render(c, "New class", <ClassForm state={new FormState(scrapedClassSchema, draft)} action="/admin/classes" session={c.var.session} />);
  })
  .post("/", async (c) => {
    const { database, clock } = c.var.deps;
    const { state, ok } = await readForm(c, scrapedClassSchema);
    const failed = ok ? await tryWrite(state, () => importDefinition(database, "classes", state.draft, clock)) : state;
    if (failed) return render(c, "New class", <ClassForm state={failed} action="/admin/classes" session={c.var.session} />, 400);
    const row = await classWith(database, { name: String(state.draft.name) });
    return c.redirect(`/admin/classes/${row!.id}?done=created`, 303);
  })
  .get("/:id{\\d+}", async (c) => {
    const id = Number(c.req.param("id"));
    const row = await classWith(c.var.deps.database, { id });
    if (!row) throw new NotFoundError(`no class with id ${id}`);
    const { id: _id, ...draft } = classOut(row);
    return render(c, `Class ${row.name}`, <ClassForm state={new FormState(scrapedClassSchema, draft)} action={`/admin/classes/${id}`} session={c.var.session} id={id} />);
  })
  .post("/:id{\\d+}", async (c) => {
    const id = Number(c.req.param("id"));
    const { database, clock } = c.var.deps;
    const { state, ok } = await readForm(c, scrapedClassSchema);
    const failed = ok ? await tryWrite(state, () => importDefinition(database, "classes", state.draft, clock, id)) : state;
    if (failed) return render(c, "Edit class", <ClassForm state={failed} action={`/admin/classes/${id}`} session={c.var.session} id={id} />, 400);
    return c.redirect(`/admin/classes/${id}?done=saved`, 303);
  })
  .post("/:id{\\d+}/delete", async (c) => {
    const form = await c.req.parseBody();
    const { database, images } = c.var.deps;
    await deleteClass(database, images, Number(c.req.param("id")), form.cascade === "true");
    return c.redirect("/admin/classes?done=deleted", 303);
  });
