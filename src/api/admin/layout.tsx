/** @jsxImportSource hono/jsx */
/**
 * @module
 * The admin's page shell and the small parts every screen uses: navigation, tables in scroll containers, empty
 * states, pagers, form fields with their errors next to them, the form token, links that are only ever http(s).
 */
import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child, FC } from "hono/jsx";
import { CSRF_FIELD, type Session } from "./session.ts";
import type { AdminEnv } from "./env.ts";
import { safeHref } from "./security.ts";

const NAV: [href: string, label: string][] = [
  ["/admin", "Dashboard"],
  ["/admin/classes", "Classes"],
  ["/admin/scrapers", "Scrapers"],
  ["/admin/sources", "Sources"],
  ["/admin/jobs", "Jobs"],
  ["/admin/items", "Items"],
  ["/admin/logs", "Logs"],
  ["/admin/bundles", "Import / export"],
];

/** Messages after a redirect (`?done=…`): a fixed vocabulary, so nothing from the URL is ever shown. */
const DONE: Record<string, string> = {
  saved: "Saved.",
  created: "Created.",
  deleted: "Deleted.",
  cloned: "Cloned: the copy is PAUSED until you activate it.",
  status: "Status changed.",
  cancelled: "Cancel asked: a running job stops at its next heartbeat.",
  imported: "Imported.",
  marker: "Log marker saved.",
};

export function render(c: Context<AdminEnv>, title: string, body: Child, status: 200 | 400 | 401 | 403 | 404 | 409 | 500 | 503 = 200) {
  const done = DONE[c.req.query("done") ?? ""];
  return c.html(
    <>
      {raw("<!doctype html>")}
      <Shell title={title} session={c.var.session} open={c.var.sessions?.open ?? false} path={c.req.path} done={done}>
        {body}
      </Shell>
    </>,
    status,
  );
}

const Shell: FC<{ title: string; session: Session | undefined; open: boolean; path: string; done: string | undefined; children?: Child }> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{p.title} · dscraper</title>
      <link rel="stylesheet" href="/admin/static/admin.css" />
      <script src="/admin/static/admin.js" defer></script>
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/admin">
          dscraper
        </a>
        {p.session?.signedIn ? (
          <nav>
            {NAV.map(([href, label]) => (
              <a href={href} class={current(p.path, href) ? "on" : undefined}>
                {label}
              </a>
            ))}
          </nav>
        ) : null}
        {p.session?.signedIn && !p.open ? (
          <form method="post" action="/admin/sign-out" class="signout">
            <Csrf session={p.session} />
            <button class="link">Sign out</button>
          </form>
        ) : null}
      </header>
      {p.open ? (
        <p class="banner warn">
          No API token is configured (<code>DSCRAPER_API_TOKEN</code>): this page and the API are open to anyone who can reach this address, which the
          binary keeps to loopback. Set a token to require signing in.
        </p>
      ) : null}
      <main>
        <h1>{p.title}</h1>
        {p.done ? <p class="banner ok">{p.done}</p> : null}
        {p.children}
      </main>
    </body>
  </html>
);

function current(path: string, href: string): boolean {
  return href === "/admin" ? path === "/admin" : path.startsWith(href);
}

export const Csrf: FC<{ session: Session | undefined }> = ({ session }) => <input type="hidden" name={CSRF_FIELD} value={session?.csrf ?? ""} />;

/** A POST button in a form of its own (delete, clone, crawl now…), with an optional confirmation. */
export const Action: FC<{ session: Session | undefined; action: string; label: string; confirm?: string; kind?: string; children?: Child }> = (p) => (
  <form method="post" action={p.action} class="inline">
    <Csrf session={p.session} />
    {p.children}
    <button class={p.kind ?? "secondary"} data-confirm={p.confirm}>
      {p.label}
    </button>
  </form>
);

/** The delete button of a definition that may have items, with the choice to delete them with it. */
export const DeleteWithItems: FC<{ session: Session | undefined; action: string; label: string; confirm: string }> = (p) => (
  <Action session={p.session} action={p.action} label={p.label} kind="danger" confirm={p.confirm}>
    <label class="check">
      <input type="checkbox" name="cascade" value="true" /> with its items
    </label>
  </Action>
);

/** A table that scrolls sideways inside its box instead of widening the page. */
export const Table: FC<{ head: string[]; children: Child; class?: string }> = (p) => (
  <div class="scroll">
    <table class={p.class}>
      <thead>
        <tr>
          {p.head.map((h) => (
            <th>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>{p.children}</tbody>
    </table>
  </div>
);

export const Empty: FC<{ children: Child }> = ({ children }) => <div class="empty">{children}</div>;

/** A table of `rows`, one `row` each, or `empty` (what to do about it) when there are none. */
export function ListTable<T>(p: { head: string[]; rows: readonly T[]; row: (r: T) => Child; empty: Child; class?: string }) {
  return p.rows.length ? (
    <Table head={p.head} class={p.class}>
      {p.rows.map((r) => p.row(r))}
    </Table>
  ) : (
    <Empty>{p.empty}</Empty>
  );
}

/** A status or marker type as a coloured label (the style sheet colours each value). */
export const Pill: FC<{ value: string }> = ({ value }) => <span class={`pill ${value}`}>{value}</span>;

/** The button above a list that opens the form for a new one. */
export const NewButton: FC<{ href: string; label: string }> = (p) => (
  <p>
    <a class="button" href={p.href}>
      {p.label}
    </a>
  </p>
);

/** The page a list screen shows: `?page=`, 1 when absent or not a positive number. */
export function pageNumber(c: Context<AdminEnv>): number {
  return Math.max(1, Number(c.req.query("page")) || 1);
}

export const Pager: FC<{ page: number; perPage: number; total: number; href: (page: number) => string }> = (p) => {
  const pages = Math.max(1, Math.ceil(p.total / p.perPage));
  if (pages <= 1) return null;
  return (
    <nav class="pager" aria-label="pages">
      {p.page > 1 ? <a href={p.href(p.page - 1)}>← Previous</a> : <span />}
      <span>
        page {p.page} of {pages} ({p.total})
      </span>
      {p.page < pages ? <a href={p.href(p.page + 1)}>Next →</a> : <span />}
    </nav>
  );
};

/** The errors of one field, right under it. */
export const Errors: FC<{ messages: string[] | undefined }> = ({ messages }) =>
  messages?.length ? (
    <ul class="errors" role="alert">
      {messages.map((m) => (
        <li>{m}</li>
      ))}
    </ul>
  ) : null;

interface FieldProps {
  label: string;
  name: string;
  value?: string;
  errors: Map<string, string[]>;
  type?: string;
  hint?: string;
  wide?: boolean;
  textarea?: boolean;
  options?: readonly (string | [value: string, label: string])[];
  placeholder?: string;
  required?: boolean;
}

/** A labelled input (or select, or textarea) named by its path, with its errors under it. */
export const Field: FC<FieldProps> = (p) => {
  const errors = p.errors.get(p.name);
  const id = `f-${p.name}`;
  const attrs = { id, name: p.name, "aria-invalid": errors ? "true" : undefined, placeholder: p.placeholder, required: p.required };
  return (
    <div class={`field${p.wide ? " wide" : ""}${errors ? " invalid" : ""}`}>
      <label for={id}>{p.label}</label>
      {p.options ? (
        <Select {...attrs} value={p.value ?? ""} options={p.options} />
      ) : p.textarea ? (
        <textarea {...attrs} rows={3}>
          {p.value ?? ""}
        </textarea>
      ) : (
        <input {...attrs} type={p.type ?? "text"} value={p.value ?? ""} />
      )}
      {p.hint ? <small>{p.hint}</small> : null}
      <Errors messages={errors} />
    </div>
  );
};

export const Select: FC<{ id?: string; name: string; value: string; options: readonly (string | [string, string])[]; "aria-invalid"?: string }> = (p) => {
  const { value, options, ...attrs } = p;
  const known = options.some((o) => (typeof o === "string" ? o : o[0]) === value);
  return (
    <select {...attrs}>
      {known ? null : <option value={value}>{value === "" ? "—" : value}</option>}
      {options.map((o) => {
        const [v, label] = typeof o === "string" ? [o, o === "" ? "—" : o] : o;
        return (
          <option value={v} selected={v === value}>
            {label}
          </option>
        );
      })}
    </select>
  );
};

/** A checkbox that is sent unticked too (a hidden "false" first; the codec reads "true" when both come). */
export const Check: FC<{ label: string; name: string; checked: boolean; errors?: Map<string, string[]> }> = (p) => (
  <label class="check">
    <input type="hidden" name={p.name} value="false" />
    <input type="checkbox" name={p.name} value="true" checked={p.checked} id={`f-${p.name}`} />
    {p.label}
    <Errors messages={p.errors?.get(p.name)} />
  </label>
);

/** A scraped URL: a link when it is http(s), else plain text. */
export const Link: FC<{ url: unknown; label?: string }> = ({ url, label }) => {
  const href = safeHref(url);
  const text = label ?? String(url ?? "");
  return href ? (
    <a href={href} rel="noopener noreferrer nofollow" target="_blank">
      {text}
    </a>
  ) : (
    <span class="unsafe">{text}</span>
  );
};

export const When: FC<{ at: Date | string | null | undefined }> = ({ at }) => {
  if (!at) return <span class="muted">—</span>;
  const d = typeof at === "string" ? new Date(at) : at;
  return <time datetime={d.toISOString()}>{d.toISOString().replace("T", " ").slice(0, 19)} UTC</time>;
};

/** A table cell with a time, or a dash when there is none. */
export const TimeCell: FC<{ at: Date | string | null | undefined }> = ({ at }) => (
  <td>
    <When at={at} />
  </td>
);

/** Issues whose field is not on the page (or the whole list, at the top): each links to its field. */
export const Problems: FC<{ issues: { path: string; field?: string; message: string }[] }> = ({ issues }) =>
  issues.length ? (
    <div class="banner error" role="alert">
      <strong>
        {issues.length} problem{issues.length === 1 ? "" : "s"}: nothing was saved.
      </strong>
      <ul>
        {issues.map((i) => (
          <li>
            {i.path ? <a href={`#f-${i.field ?? i.path}`}>{i.path}</a> : null}
            {i.path ? ": " : ""}
            {i.message}
          </li>
        ))}
      </ul>
    </div>
  ) : null;
