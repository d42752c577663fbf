/** @jsxImportSource hono/jsx */
/**
 * @module
 * The scraper editor: one form for a scraper with its page types, elems and checkers (each a table of rows, with
 * an empty row for a new entry and a remove box per row), and "try it" beside "save". Every field is named by its
 * path (`elems[3].x_path`), so a validation error is shown under the field that caused it; the results of a try
 * are shown under each elem (what its XPath matched) and as the items a crawl would read.
 */
import type { Child } from "hono/jsx";
import type { CheckerTestReport } from "../../check/checker-test.ts";
import type { TryResult } from "../../crawl/try-scraper.ts";
import type { ElemMatch } from "../../extract/elem-matches.ts";
import { checkerTypeSchema } from "../../model/checker.ts";
import { SCRAPER_STATUSES } from "../../model/enums.ts";
import { contentTypeSchema } from "../../model/page-type.ts";
import { paginationTypeSchema } from "../../model/scraper.ts";
import type { FormState } from "./form-state.ts";
import { Check, Csrf, Errors, Field, Problems, Select } from "./layout.tsx";
import type { Session } from "./session.ts";
import { CheckerTestView, ElemMatchView, TryView } from "./try-view.tsx";

const DETAIL_PAGES = Array.from({ length: 25 }, (_, i) => `DP${i + 1}`);
const ELEM_PAGE_TYPES = ["MP", ...DETAIL_PAGES];
const PAGE_TYPES = ["MP", "FP", ...DETAIL_PAGES];

export interface EditorProps {
  state: FormState;
  action: string;
  session: Session;
  /** Stored classes' names, for the class select. */
  classes: string[];
  /** The attrs of the scraper's class (by its current `class`), for the attr selects. */
  attrs: string[];
  /** Where "try it" starts unless a URL is typed in (the scraper's first source), if any. */
  firstSourceUrl?: string;
  tryUrl?: string;
  tried?: TryResult;
  checkerTest?: CheckerTestReport[];
  /** Forms outside the editor's (clone, status, delete) for a stored scraper. */
  tools?: Child;
}

/** A small cell input named by path, with its errors under it. */
function Cell({ state, name, label, wide, options, area }: { state: FormState; name: string; label: string; wide?: boolean; options?: readonly (string | [string, string])[]; area?: boolean }) {
  const id = `f-${name}`;
  const invalid = state.errors.has(name) ? "true" : undefined;
  return (
    <>
      {options ? (
        <Select id={id} name={name} value={state.text(name)} options={options} aria-invalid={invalid} />
      ) : area ? (
        <textarea id={id} name={name} aria-label={label} aria-invalid={invalid} rows={1} class={wide ? "wide" : undefined}>
          {state.text(name)}
        </textarea>
      ) : (
        <input id={id} name={name} value={state.text(name)} aria-label={label} aria-invalid={invalid} class={wide ? "wide" : undefined} />
      )}
      <Errors messages={state.errors.get(name)} />
    </>
  );
}

function RowMarker({ blank, name }: { blank: boolean; name: (f: string) => string }) {
  return blank ? <input type="hidden" name={name("_blank")} value="1" /> : null;
}

function RemoveCell({ blank, name }: { blank: boolean; name: (f: string) => string }) {
  return <td>{blank ? <span class="muted">new</span> : <Check label="remove" name={name("_remove")} checked={false} />}</td>;
}

function Rows({ id, head, children, add }: { id: string; head: string[]; children: Child; add: string }) {
  return (
    <>
      <div class="scroll">
        <table class="rows" data-rows={id}>
          <thead>
            <tr>
              {head.map((h) => (
                <th>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
      <button type="button" class="secondary js-only" data-add-row={id}>
        {add}
      </button>
    </>
  );
}

export function ScraperEditor(p: EditorProps) {
  const { state } = p;
  /** The stored rows of a list and a blank one for a new entry, each with the namer of its fields (`elems[3].x_path`). */
  const rowsOf = (list: string) =>
    [...state.rows(list), { _blank: true }].map((row, i) => ({ i, blank: row._blank === true, n: (f: string) => `${list}[${i}].${f}` }));
  const matches = new Map<number, ElemMatch>((p.tried?.elems ?? []).map((m) => [m.elem, m]));
  const attrOptions = (blank: boolean) => (blank ? ["", ...p.attrs] : p.attrs);
  return (
    <>
      <Problems issues={state.summary()} />
      <form method="post" action={p.action} class="card editor" id="scraper-form">
        <Csrf session={p.session} />
        <div class="grid">
          <Field label="Name" name="name" value={state.text("name")} errors={state.errors} required />
          <Field label="Class" name="class" value={state.text("class")} errors={state.errors} options={p.classes} />
          <Field label="Status" name="status" value={state.text("status") || "PAUSED"} errors={state.errors} options={SCRAPER_STATUSES} />
          <Field label="Pagination" name="pagination_type" value={state.text("pagination_type") || "NONE"} errors={state.errors} options={paginationTypeSchema.options} />
          <Field label="Follow: next page URL XPath" name="follow_pages_url_xpath" value={state.text("follow_pages_url_xpath")} errors={state.errors} wide />
          <Field label="Follow: page value XPath" name="follow_pages_page_xpath" value={state.text("follow_pages_page_xpath")} errors={state.errors} />
          <Field label="Follow: at most N hops" name="num_pages_follow" value={state.text("num_pages_follow")} errors={state.errors} />
          <Field label="Append to URL" name="pagination_append_str" value={state.text("pagination_append_str")} errors={state.errors} hint="{page} is filled" />
          <Field label="Page values" name="pagination_page_replace" value={state.text("pagination_page_replace")} errors={state.errors} hint='RANGE_FUNCT: "1, 10, 1"; FREE_LIST: "a", "b"' />
          <Field label="Max items read" name="max_items_read" value={state.text("max_items_read")} errors={state.errors} />
          <Field label="Max items saved" name="max_items_save" value={state.text("max_items_save")} errors={state.errors} />
          <Field label="Alert: no save for" name="last_scraper_save_alert_period" value={state.text("last_scraper_save_alert_period")} errors={state.errors} hint="12h, 3d, 1w" />
          <Field label="Alert: no checker delete for" name="last_checker_delete_alert_period" value={state.text("last_checker_delete_alert_period")} errors={state.errors} />
          <div class="field checks">
            <Check label="pagination on start" name="pagination_on_start" checked={state.bool("pagination_on_start", false)} errors={state.errors} />
            <Check label="follow every next link" name="follow_pages_all" checked={state.bool("follow_pages_all", false)} errors={state.errors} />
          </div>
          <Field label="Comments" name="comments" value={state.text("comments")} errors={state.errors} wide textarea />
        </div>

        <h2>Page types</h2>
        <Errors messages={state.errors.get("page_types")} />
        <Rows id="page_types" head={["Page type", "Detail URL attr", "Content", "Method", "Request", "More", "Remove"]} add="Add page type">
          {rowsOf("page_types").map(({ i, blank, n }) => (
            <tr class={blank ? "blank" : undefined} data-row={i}>
              <td>
                <RowMarker blank={blank} name={n} />
                <Cell state={state} name={n("page_type")} label="page type" options={blank ? ["", ...PAGE_TYPES] : PAGE_TYPES} />
              </td>
              <td>
                <Cell state={state} name={n("attr")} label="detail URL attr" options={["", ...p.attrs]} />
              </td>
              <td>
                <Cell state={state} name={n("content_type")} label="content type" options={["", ...contentTypeSchema.options]} />
              </td>
              <td>
                <Cell state={state} name={n("method")} label="method" options={["", "GET", "POST"]} />
              </td>
              <td>
                <Cell state={state} name={n("request_type")} label="request type" options={["", "plain", "form"]} />
              </td>
              <td>
                <details class={["headers", "cookies", "form_data", "body", "namespaces"].some((f) => state.errors.has(n(f))) ? "open-errors" : undefined} open={["headers", "cookies", "form_data", "body", "namespaces"].some((f) => state.errors.has(n(f)))}>
                  <summary>request details</summary>
                  <label>Headers (JSON)</label>
                  <Cell state={state} name={n("headers")} label="headers" area />
                  <label>Cookies (JSON)</label>
                  <Cell state={state} name={n("cookies")} label="cookies" area />
                  <label>Form data (JSON)</label>
                  <Cell state={state} name={n("form_data")} label="form data" area />
                  <label>Body</label>
                  <Cell state={state} name={n("body")} label="body" area />
                  <label>XML namespaces (JSON)</label>
                  <Cell state={state} name={n("namespaces")} label="namespaces" area />
                  <Check label="fetch again even if seen (dont_filter)" name={n("dont_filter")} checked={state.bool(n("dont_filter"), false)} errors={state.errors} />
                  <Check label="render JavaScript" name={n("render_javascript")} checked={state.bool(n("render_javascript"), false)} errors={state.errors} />
                </details>
              </td>
              <RemoveCell blank={blank} name={n} />
            </tr>
          ))}
        </Rows>

        <h2>Elems</h2>
        <Errors messages={state.errors.get("elems")} />
        <Rows id="elems" head={["Attr", "XPath", "Reg. exp.", "Page", "Processors", "Context (JSON)", "Options", "Remove"]} add="Add elem">
          {rowsOf("elems").map(({ i, blank, n }) => {
            const match = matches.get(i);
            return (
              <>
                <tr class={blank ? "blank" : undefined} data-row={i}>
                  <td>
                    <RowMarker blank={blank} name={n} />
                    <Cell state={state} name={n("attr")} label="attr" options={attrOptions(blank)} />
                  </td>
                  <td class="xpath">
                    <Cell state={state} name={n("x_path")} label="XPath" wide />
                  </td>
                  <td>
                    <Cell state={state} name={n("reg_exp")} label="regular expression" />
                  </td>
                  <td>
                    <Cell state={state} name={n("page_type")} label="page type" options={blank ? ["", ...ELEM_PAGE_TYPES] : ELEM_PAGE_TYPES} />
                  </td>
                  <td>
                    <Cell state={state} name={n("processors")} label="processors" />
                  </td>
                  <td>
                    <Cell state={state} name={n("proc_ctxt")} label="processor context" area />
                  </td>
                  <td class="checks">
                    <Check label="mandatory" name={n("mandatory")} checked={state.bool(n("mandatory"), true)} errors={state.errors} />
                    <Check label="default processors" name={n("use_default_procs")} checked={state.bool(n("use_default_procs"), true)} errors={state.errors} />
                  </td>
                  <RemoveCell blank={blank} name={n} />
                </tr>
                {match ? (
                  <tr class="match">
                    <td colspan={8}>
                      <ElemMatchView match={match} />
                    </td>
                  </tr>
                ) : null}
              </>
            );
          })}
        </Rows>

        <h2>Checkers</h2>
        <Errors messages={state.errors.get("checkers")} />
        <Rows id="checkers" head={["Attr", "Type", "XPath", "XPath result", "Reference URL", "Remove"]} add="Add checker">
          {rowsOf("checkers").map(({ i, blank, n }) => (
            <tr class={blank ? "blank" : undefined} data-row={i}>
              <td>
                <RowMarker blank={blank} name={n} />
                <Cell state={state} name={n("attr")} label="attr" options={attrOptions(blank)} />
              </td>
              <td>
                <Cell state={state} name={n("checker_type")} label="checker type" options={["", ...checkerTypeSchema.options]} />
              </td>
              <td>
                <Cell state={state} name={n("checker_x_path")} label="checker XPath" wide />
              </td>
              <td>
                <Cell state={state} name={n("checker_x_path_result")} label="checker XPath result" />
              </td>
              <td>
                <Cell state={state} name={n("checker_ref_url")} label="reference URL" wide />
              </td>
              <RemoveCell blank={blank} name={n} />
            </tr>
          ))}
        </Rows>

        <div class="actions sticky">
          <button name="_action" value="save">
            Save scraper
          </button>
          <span class="try">
            <input name="_try_url" type="url" value={p.tryUrl ?? ""} placeholder={p.firstSourceUrl ?? "a URL to try (the scraper has no source yet)"} aria-label="URL to try" />
            <button name="_action" value="try" class="secondary" id="try-it">
              Try it
            </button>
          </span>
        </div>
      </form>
      {p.tried ? <TryView result={p.tried} attrs={p.attrs} /> : null}
      {p.checkerTest ? <CheckerTestView results={p.checkerTest} /> : null}
      {p.tools}
    </>
  );
}
