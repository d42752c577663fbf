/**
 * @module
 * `/api/scrapers`: scrapers with their page types, elems and checkers, in the bundle's shape (`class` by name).
 * Writes go through the import's checks, and a status change keeps the `runnable` flag of the scraper's runtimes
 * right (the import does it). Also: clone (a PAUSED copy named "NAME (COPY)") and the checker test.
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { cloneScraper } from "../bundle/clone.ts";
import { importDefinition } from "../bundle/import.ts";
import { summarizeCheckerTests, testCheckers } from "../check/checker-test.ts";
import { definitionCount, scrapersPage, scraperWith } from "../db/definition-pages.ts";
import { deleteScraper } from "../db/definition-deletes.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { scraperStatusSchema } from "../model/enums.ts";
import { scraperSchema } from "../model/scraper.ts";
import type { ApiEnv } from "./deps.ts";
import { errorBodySchema } from "./errors.ts";
import { idParamSchema, pageFields, pageQuerySchema, versionedList } from "./lists.ts";
import { scraperOut, scraperOutSchema } from "./shapes.ts";
import { json, v } from "./validate.ts";

const listSchema = z.object({ scrapers: z.array(scraperOutSchema), ...pageFields });
const notFound = json("no scraper with that id", errorBodySchema);
const resultSchema = z.enum(["OK", "WARNING", "ERROR"]);
const checkerTestSchema = z.object({
  scraper: z.object({ id: z.number(), name: z.string(), status: scraperStatusSchema }),
  summary: z.record(resultSchema, z.number()),
  results: z.array(z.object({ scraper: z.string(), attr: z.string(), checker_type: z.string(), ref_url: z.string(), result: resultSchema, detail: z.string() })),
});

async function stored(database: Parameters<typeof scraperWith>[0], key: Parameters<typeof scraperWith>[1]) {
  const view = await scraperWith(database, key);
  if (!view) throw new NotFoundError("id" in key ? `no scraper with id ${key.id}` : `no scraper named "${key.name}"`);
  return scraperOut(view);
}

export const scraperRoutes = new Hono<ApiEnv>()
  .get("/", describeRoute({ summary: "The scrapers, by id", responses: { 200: json("a page of scrapers", listSchema) } }), v("query", pageQuerySchema), async (c) => {
    const { page, per_page } = c.req.valid("query");
    const { database } = c.get("deps");
    return versionedList(c, ["definitions"], async () => ({
      scrapers: (await scrapersPage(database, { offset: (page - 1) * per_page, limit: per_page })).map(scraperOut),
      page,
      per_page,
      total: await definitionCount(database, "scrapers"),
    }));
  })
  .post(
    "/",
    describeRoute({ summary: "Create a scraper of a stored class", responses: { 201: json("the scraper", scraperOutSchema), 409: json("a scraper has that name", errorBodySchema) } }),
    v("json", scraperSchema),
    async (c) => {
      const { database, clock } = c.get("deps");
      const body = c.req.valid("json");
      await importDefinition(database, "scrapers", body, clock);
      return c.json(await stored(database, { name: body.name }), 201);
    },
  )
  .get("/:id", describeRoute({ summary: "One scraper", responses: { 200: json("the scraper", scraperOutSchema), 404: notFound } }), v("param", idParamSchema), async (c) =>
    c.json(await stored(c.get("deps").database, c.req.valid("param")), 200),
  )
  .put(
    "/:id",
    describeRoute({
      summary: "Replace a scraper (a new name renames it)",
      responses: { 200: json("the scraper", scraperOutSchema), 404: notFound, 409: json("another scraper has that name", errorBodySchema) },
    }),
    v("param", idParamSchema),
    v("json", scraperSchema),
    async (c) => {
      const { database, clock } = c.get("deps");
      const { id } = c.req.valid("param");
      await importDefinition(database, "scrapers", c.req.valid("json"), clock, id);
      return c.json(await stored(database, { id }), 200);
    },
  )
  .delete(
    "/:id",
    describeRoute({
      summary: "Delete a scraper (its log rows and log markers go with it)",
      responses: { 204: { description: "deleted" }, 404: notFound, 409: json("sources use it", errorBodySchema) },
    }),
    v("param", idParamSchema),
    async (c) => {
      await deleteScraper(c.get("deps").database, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .post(
    "/:id/clone",
    describeRoute({ summary: 'A PAUSED copy named "NAME (COPY)", then "NAME (COPY 2)"…', responses: { 201: json("the clone", scraperOutSchema), 404: notFound } }),
    v("param", idParamSchema),
    async (c) => {
      const { database, clock } = c.get("deps");
      const name = await cloneScraper(database, c.req.valid("param").id, clock);
      return c.json(await stored(database, { name }), 201);
    },
  )
  .post(
    "/:id/checker-test",
    describeRoute({
      summary: "Test the scraper's checkers against their checker_ref_url: OK, WARNING or ERROR each (as `dscraper checker-test`)",
      responses: { 200: json("the results", checkerTestSchema), 404: notFound, 409: json("the scraper has no checkers", errorBodySchema) },
    }),
    v("param", idParamSchema),
    async (c) => {
      const { database, fetcher } = c.get("deps");
      const scraper = await stored(database, c.req.valid("param"));
      if (scraper.checkers.length === 0) throw new ConflictError(`scraper "${scraper.name}" has no checkers to test`);
      const results = await testCheckers({ name: scraper.name, body: scraper }, fetcher, c.req.raw.signal);
      return c.json({ scraper: { id: scraper.id, name: scraper.name, status: scraper.status }, summary: summarizeCheckerTests(results), results }, 200);
    },
  );
