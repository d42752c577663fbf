/**
 * @module
 * `/api/classes`: scraped object classes with their attrs. Bodies are a bundle's class; writes go through the
 * import's checks (a class whose attrs change must still fit its stored scrapers). Deleting a class used by a
 * scraper is refused; one that still has items needs `?cascade=true`, which deletes them and their image files.
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { importDefinition } from "../bundle/import.ts";
import { classesPage, classWith, definitionCount } from "../db/definition-pages.ts";
import { deleteClass } from "../db/definition-deletes.ts";
import { NotFoundError } from "../errors.ts";
import { scrapedClassSchema } from "../model/scraped-class.ts";
import type { ApiEnv } from "./deps.ts";
import { errorBodySchema } from "./errors.ts";
import { cascadeQuerySchema, idParamSchema, pageFields, pageQuerySchema, versionedList } from "./lists.ts";
import { classOut, classOutSchema } from "./shapes.ts";
import { json, v } from "./validate.ts";
import { reportingStore } from "../images/errors.ts";

const listSchema = z.object({ classes: z.array(classOutSchema), ...pageFields });
const notFound = json("no class with that id", errorBodySchema);

export const classRoutes = new Hono<ApiEnv>()
  .get("/", describeRoute({ summary: "The classes, by id", responses: { 200: json("a page of classes", listSchema) } }), v("query", pageQuerySchema), async (c) => {
    const { page, per_page } = c.req.valid("query");
    const { database } = c.get("deps");
    return versionedList(c, ["definitions"], async () => ({
      classes: (await classesPage(database, { offset: (page - 1) * per_page, limit: per_page })).map(classOut),
      page,
      per_page,
      total: await definitionCount(database, "classes"),
    }));
  })
  .post(
    "/",
    describeRoute({ summary: "Create a class", responses: { 201: json("the class", classOutSchema), 409: json("a class has that name", errorBodySchema) } }),
    v("json", scrapedClassSchema),
    async (c) => {
      const { database, clock } = c.get("deps");
      const body = c.req.valid("json");
      await importDefinition(database, "classes", body, clock);
      return c.json(classOut((await classWith(database, { name: body.name }))!), 201);
    },
  )
  .get("/:id", describeRoute({ summary: "One class", responses: { 200: json("the class", classOutSchema), 404: notFound } }), v("param", idParamSchema), async (c) => {
    const { id } = c.req.valid("param");
    const row = await classWith(c.get("deps").database, { id });
    if (!row) throw new NotFoundError(`no class with id ${id}`);
    return c.json(classOut(row), 200);
  })
  .put(
    "/:id",
    describeRoute({
      summary: "Replace a class (a new name renames it); its stored scrapers must still fit its attrs",
      responses: { 200: json("the class", classOutSchema), 404: notFound, 409: json("another class has that name", errorBodySchema) },
    }),
    v("param", idParamSchema),
    v("json", scrapedClassSchema),
    async (c) => {
      const { database, clock } = c.get("deps");
      const { id } = c.req.valid("param");
      await importDefinition(database, "classes", c.req.valid("json"), clock, id);
      return c.json(classOut((await classWith(database, { id }))!), 200);
    },
  )
  .delete(
    "/:id",
    describeRoute({
      summary: "Delete a class; with ?cascade=true its items (and their image files) too",
      responses: { 204: { description: "deleted" }, 404: notFound, 409: json("scrapers use it, or it has items and no cascade was asked", errorBodySchema) },
    }),
    v("param", idParamSchema),
    v("query", cascadeQuerySchema),
    async (c) => {
      const { database, images } = c.get("deps");
      await deleteClass(database, reportingStore(images), c.req.valid("param").id, c.req.valid("query").cascade);
      return c.body(null, 204);
    },
  );
