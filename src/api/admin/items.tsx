/** @jsxImportSource hono/jsx */
/**
 * @module
 * Items per class and source, with a text filter and pages (the queries of `GET /api/items`), the thumbnail of
 * each image attr, and delete (with the item's image files, as `DELETE /api/items/:id`). Images are served from
 * the image store as `image/jpeg` with `nosniff`, and only for keys of the store's own image names, so no key can
 * reach outside it.
 */
import { Hono } from "hono";
import { classesPage, classWith, sourcesPage, sourceWith } from "../../db/definition-pages.ts";
import { itemPage, itemTotal } from "../../db/item-list.ts";
import { deleteItems } from "../../db/items.ts";
import { NotFoundError } from "../../errors.ts";
import { fileNameOfKey } from "../../images/keys.ts";
import type { Item } from "../../model/item.ts";
import { Q_TOTAL_CAP } from "../items.ts";
import type { AdminEnv } from "./env.ts";
import { Action, Link, ListTable, pageNumber, Pager, render, Select, TimeCell } from "./layout.tsx";

const PER_PAGE = 25;

/** The key to show for an image file: a thumbnail when there is one, else the stored original. */
export function thumbnailKey(keys: readonly string[], fileName: unknown): string | undefined {
  if (typeof fileName !== "string") return undefined;
  const mine = keys.filter((k) => fileNameOfKey(k) === fileName);
  return mine.find((k) => k.startsWith("thumbs/")) ?? mine[0];
}

function Cell({ value }: { value: unknown }) {
  if (Array.isArray(value)) return <span>{value.map((v) => String(v)).join(" · ")}</span>;
  if (typeof value === "string" && /^[a-z][a-z0-9+.-]*:/i.test(value)) return <Link url={value} />;
  if (value === null || value === undefined) return <span class="muted">—</span>;
  return <span class="clip">{typeof value === "object" ? JSON.stringify(value) : String(value)}</span>;
}

export const itemScreens = new Hono<AdminEnv>()
  .get("/", async (c) => {
    const { database } = c.var.deps;
    const page = pageNumber(c);
    const classId = Number(c.req.query("class")) || undefined;
    const sourceId = Number(c.req.query("source")) || undefined;
    const q = (c.req.query("q") ?? "").trim();
    const [classes, sources] = await Promise.all([classesPage(database, { offset: 0, limit: 500 }), sourcesPage(database, { offset: 0, limit: 500 })]);
    const cls = classId === undefined ? undefined : await classWith(database, { id: classId });
    const source = sourceId === undefined ? undefined : await sourceWith(database, { id: sourceId });
    const query = { ...(cls ? { classId: cls.id } : {}), ...(source ? { sourceId: source.source.id } : {}), ...(q ? { text: q } : {}) };
    const [items, count] = await Promise.all([itemPage(database, query, (page - 1) * PER_PAGE, PER_PAGE), itemTotal(database, query, Q_TOTAL_CAP)]);
    const classOf = new Map(classes.map((k) => [k.name, k.definition]));
    const form = { class: cls ? String(cls.id) : "", source: source ? String(source.source.id) : "", q };
    const href = (p: number) => `/admin/items?${new URLSearchParams({ ...form, page: String(p) })}`;
    const exportQuery = new URLSearchParams({ ...(cls ? { class: String(cls.id) } : {}), ...(source ? { source: String(source.source.id) } : {}) });
    return render(
      c,
      "Items",
      <>
        <form method="get" action="/admin/items" class="filters">
          <label>
            Class <Select name="class" value={form.class} options={["", ...classes.map((k): [string, string] => [String(k.id), k.name])]} />
          </label>
          <label>
            Source <Select name="source" value={form.source} options={["", ...sources.map((s): [string, string] => [String(s.source.id), s.source.name])]} />
          </label>
          <label>
            Text <input name="q" value={q} type="search" />
          </label>
          <button class="secondary">Filter</button>
          <a class="button secondary" href={`/api/items/export?${exportQuery}`}>
            Export JSON Lines
          </a>
        </form>
        <p class="muted">
          {count.total}
          {count.capped ? "+" : ""} item{count.total === 1 ? "" : "s"}
        </p>
        <ListTable
          head={["Item", "Images", "Values", "Source", "Updated", ""]}
          class="items"
          rows={items}
          row={(item) => <ItemRow item={item} attrs={classOf.get(item.class)?.attrs ?? []} />}
          empty={q || cls || source ? "No items match these filters." : "No items yet: crawl a source to read some."}
        />
        <Pager page={page} perPage={PER_PAGE} total={count.total} href={href} />
      </>,
    );

    function ItemRow({ item, attrs }: { item: Item; attrs: { name: string; attr_type: string; save_to_db: boolean }[] }) {
      const images = attrs.filter((a) => a.attr_type === "I");
      const shown = attrs.filter((a) => a.attr_type !== "I" && a.attr_type !== "B" && a.save_to_db);
      return (
        <tr data-item={item.id}>
          <td>
            #{item.id}
            <div class="muted">{item.class}</div>
          </td>
          <td class="thumbs">
            {images.map((a) => {
              const key = thumbnailKey(item.images, item.data[a.name]);
              return key ? <img src={`/admin/items/image/${key}`} alt={a.name} class="thumb" /> : <span class="muted">—</span>;
            })}
          </td>
          <td>
            <dl class="values">
              {shown.map((a) => (
                <>
                  <dt>{a.name}</dt>
                  <dd>
                    <Cell value={item.data[a.name]} />
                  </dd>
                </>
              ))}
            </dl>
          </td>
          <td>{item.source}</td>
          <TimeCell at={item.updated_at} />
          <td>
            <Action session={c.var.session} action={`/admin/items/${item.id}/delete`} label="Delete" kind="danger" confirm="Delete this item and its images?">
              <input type="hidden" name="back" value={href(page)} />
            </Action>
          </td>
        </tr>
      );
    }
  })
  .get("/image/:key{.+}", async (c) => {
    const key = c.req.param("key");
    if (fileNameOfKey(key) === undefined) return c.body("not an image key", 404, { "content-type": "text/plain; charset=utf-8" });
    const bytes = await c.var.deps.images.get(key);
    if (!bytes) return c.body("no such image", 404, { "content-type": "text/plain; charset=utf-8" });
    return c.body(new Uint8Array(bytes), 200, {
      "content-type": "image/jpeg",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, max-age=3600",
    });
  })
  .post("/:id{\\d+}/delete", async (c) => {
    const id = Number(c.req.param("id"));
    const { database, images } = c.var.deps;
    if ((await deleteItems(database, images, [id])).items === 0) throw new NotFoundError(`no item with id ${id}`);
    const back = (await c.req.parseBody()).back;
    const to = typeof back === "string" && back.startsWith("/admin/items?") ? back : "/admin/items?";
    return c.redirect(`${to}&done=deleted`, 303);
  });
