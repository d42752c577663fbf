/**
 * @module
 * `/api/sources`: sources in the bundle's shape (`scraper` by name) with their runtime. A new source gets its
 * runtime (first run due now); a changed one keeps it. Deleting a source being crawled is refused naming the job;
 * one that still has items needs `?cascade=true`, which deletes them and their image files.
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { importDefinition } from "../bundle/import.ts";
import { definitionCount, sourcesPage, sourceWith } from "../db/definition-pages.ts";
import { deleteSource } from "../db/definition-deletes.ts";
import { NotFoundError } from "../errors.ts";
import { sourceSchema } from "../model/source.ts";
import type { ApiEnv } from "./deps.ts";
import { errorBodySchema } from "./errors.ts";
import { cascadeQuerySchema, idParamSchema, pageFields, pageQuerySchema, versionedList } from "./lists.ts";
import { sourceOut, sourceOutSchema } from "./shapes.ts";
import { json, v } from "./validate.ts";
import { reportingStore } from "../images/errors.ts";

const listSchema = z.object({ sources: z.array(sourceOutSchema), ...pageFields });
const notFound = json("no source with that id", errorBodySchema);

async function stored(database: Parameters<typeof sourceWith>[0], key: Parameters<typeof sourceWith>[1]) {
  const view = await sourceWith(database, key);
  if (!view) throw new NotFoundError("id" in key ? `no source with id ${key.id}` : `no source named "${key.name}"`);
  return sourceOut(view);
}

export const sourceRoutes = new Hono<ApiEnv>()
  .get("/", describeRoute({ summary: "The sources with their runtimes, by id", responses: { 200: json("a page of sources", listSchema) } }), v("query", pageQuerySchema), async (c) => {
    const { page, per_page } = c.req.valid("query");
    const { database } = c.get("deps");
    return versionedList(c, ["definitions", "runtimes"], async () => ({
      sources: (await sourcesPage(database, { offset: (page - 1) * per_page, limit: per_page })).map(sourceOut),
      page,
      per_page,
      total: await definitionCount(database, "sources"),
    }));
  })
  .post(
    "/",
    describeRoute({ summary: "Create a source of a stored scraper (its first run is due at once)", responses: { 201: json("the source", sourceOutSchema), 409: json("a source has that name", errorBodySchema) } }),
    v("json", sourceSchema),
    async (c) => {
      const { database, clock } = c.get("deps");
      const body = c.req.valid("json");
      await importDefinition(database, "sources", body, clock);
      return c.json(await stored(database, { name: body.name }), 201);
    },
  )
  .get("/:id", describeRoute({ summary: "One source with its runtime", responses: { 200: json("the source", sourceOutSchema), 404: notFound } }), v("param", idParamSchema), async (c) =>
    c.json(await stored(c.get("deps").database, c.req.valid("param")), 200),
  )
  .put(
    "/:id",
    describeRoute({
      summary: "Replace a source (a new name renames it; its runtime and items stay)",
      responses: { 200: json("the source", sourceOutSchema), 404: notFound, 409: json("another source has that name", errorBodySchema) },
    }),
    v("param", idParamSchema),
    v("json", sourceSchema),
    async (c) => {
      const { database, clock } = c.get("deps");
      const { id } = c.req.valid("param");
      await importDefinition(database, "sources", c.req.valid("json"), clock, id);
      return c.json(await stored(database, { id }), 200);
    },
  )
  .delete(
    "/:id",
    describeRoute({
      summary: "Delete a source with its runtime; with ?cascade=true its items (and their image files) too",
      responses: { 204: { description: "deleted" }, 404: notFound, 409: json("a crawl of it is queued or running, or it has items and no cascade was asked", errorBodySchema) },
    }),
    v("param", idParamSchema),
    v("query", cascadeQuerySchema),
    async (c) => {
      const { database, images } = c.get("deps");
      await deleteSource(database, reportingStore(images), c.req.valid("param").id, c.req.valid("query").cascade);
      return c.body(null, 204);
    },
  );
