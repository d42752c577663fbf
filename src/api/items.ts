/**
 * @module
 * `/api/items`: stored items in the item shape (INTERFACE.md): a list newest first (then id) filtered by class,
 * source (each an id or a name) and text, one item, deleting one (with its image files), and the streamed export.
 * `total` comes from the counts the triggers keep; with `q` it is counted up to {@link Q_TOTAL_CAP} and
 * `total_capped` says when there are more.
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import type { Database } from "../db/connect.ts";
import { classWith, sourceWith } from "../db/definition-pages.ts";
import type { ClassRow } from "../db/definitions.ts";
import { itemPage, itemsById, itemTotal } from "../db/item-list.ts";
import { classesWithItems, deleteItems, type ItemFilter } from "../db/items.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { itemExportStream } from "../items/export-stream.ts";
import { itemCsvColumns } from "../items/rows.ts";
import { itemSchema } from "../model/item.ts";
import type { ApiEnv } from "./deps.ts";
import { errorBodySchema } from "./errors.ts";
import { idParamSchema, pageFields, pageQuerySchema, versionedList } from "./lists.ts";
import { json, v } from "./validate.ts";
import { reportingStore } from "../images/errors.ts";

/** A text search counts at most this many matches: past it, counting would cost more than the page. */
export const Q_TOTAL_CAP = 10_000;

const filterQuerySchema = z.object({
  class: z.string().min(1, "must not be empty").optional(),
  source: z.string().min(1, "must not be empty").optional(),
});

const listQuerySchema = z.object({ ...pageQuerySchema.shape, ...filterQuerySchema.shape, q: z.string().optional() });
const exportQuerySchema = z.object({ ...filterQuerySchema.shape, format: z.enum(["jsonl", "csv"], "must be jsonl or csv").default("jsonl") });

const listSchema = z.object({ items: z.array(itemSchema), ...pageFields, total_capped: z.boolean() });
const notFound = json("no item with that id", errorBodySchema);

/** The class and source a filter names (an id when all digits, else a name); an unknown one is bad input. */
async function resolveFilter(database: Database, query: z.infer<typeof filterQuerySchema>): Promise<{ filter: ItemFilter; cls?: ClassRow }> {
  const key = (ref: string) => (/^\d+$/.test(ref) ? { id: Number(ref) } : { name: ref });
  const unknown = (what: string, ref: string) => new ValidationError([{ path: what, message: /^\d+$/.test(ref) ? `no ${what} with id ${ref}` : `no ${what} named "${ref}"` }]);
  const cls = query.class === undefined ? undefined : await classWith(database, key(query.class));
  if (query.class !== undefined && !cls) throw unknown("class", query.class);
  const source = query.source === undefined ? undefined : await sourceWith(database, key(query.source));
  if (query.source !== undefined && !source) throw unknown("source", query.source);
  return { filter: { ...(cls ? { classId: cls.id } : {}), ...(source ? { sourceId: source.source.id } : {}) }, ...(cls ? { cls } : {}) };
}

/** CSV columns are one class's attrs: the filter's class, else the one class the items have. */
async function csvColumns(database: Database, filter: ItemFilter, cls: ClassRow | undefined): Promise<string[]> {
  if (cls) return itemCsvColumns(cls.definition.attrs);
  const found = await classesWithItems(database, filter);
  if (found.length > 1) {
    throw new ValidationError([{ path: "class", message: `is required for CSV: the items are of ${found.length} classes (${found.map((c) => c.name).join(", ")}), and CSV columns are one class's attrs` }]);
  }
  return itemCsvColumns(found[0]?.definition.attrs ?? []);
}

export const itemRoutes = new Hono<ApiEnv>()
  .get(
    "/",
    describeRoute({
      summary: "Items, newest first (then by id), filtered by class and source (id or name) and by a text in their values (q)",
      description: `per_page is capped at 500. With q, total counts at most ${Q_TOTAL_CAP} matches; total_capped is true when there are more.`,
      responses: { 200: json("a page of items", listSchema) },
    }),
    v("query", listQuerySchema),
    async (c) => {
      const { page, per_page, q, ...refs } = c.req.valid("query");
      const { database } = c.get("deps");
      return versionedList(c, ["items", "definitions"], async () => {
        const { filter } = await resolveFilter(database, refs);
        const query = { ...filter, ...(q ? { text: q } : {}) };
        const [items, count] = await Promise.all([itemPage(database, query, (page - 1) * per_page, per_page), itemTotal(database, query, Q_TOTAL_CAP)]);
        return { items, page, per_page, total: count.total, total_capped: count.capped };
      });
    },
  )
  .get(
    "/export",
    describeRoute({
      summary: "Every item of the filter, streamed in id order: JSON Lines (application/x-ndjson) or CSV (text/csv; CSV over several classes needs class)",
      responses: { 200: { description: "the items, one per line", content: { "application/x-ndjson": {}, "text/csv": {} } } },
    }),
    v("query", exportQuerySchema),
    async (c) => {
      const { format, ...refs } = c.req.valid("query");
      const { database } = c.get("deps");
      const { filter, cls } = await resolveFilter(database, refs);
      const as = format === "csv" ? { format, columns: await csvColumns(database, filter, cls) } : { format };
      return c.body(itemExportStream(database, filter, as), 200, {
        "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson",
        "content-disposition": `attachment; filename="items.${format}"`,
      });
    },
  )
  .get("/:id", describeRoute({ summary: "One item", responses: { 200: json("the item", itemSchema), 404: notFound } }), v("param", idParamSchema), async (c) => {
    const { id } = c.req.valid("param");
    const [item] = await itemsById(c.get("deps").database, [id]);
    if (!item) throw new NotFoundError(`no item with id ${id}`);
    return c.json(item, 200);
  })
  .delete(
    "/:id",
    describeRoute({ summary: "Delete an item with its runtime and its image files (those no other item uses)", responses: { 204: { description: "deleted" }, 404: notFound } }),
    v("param", idParamSchema),
    async (c) => {
      const { id } = c.req.valid("param");
      const { database, images } = c.get("deps");
      if ((await deleteItems(database, reportingStore(images), [id])).items === 0) throw new NotFoundError(`no item with id ${id}`);
      return c.body(null, 204);
    },
  );
