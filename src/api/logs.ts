/**
 * @module
 * `GET /api/logs` (the log rows jobs stored: newest first, filtered by scraper, job, level — that level or above —
 * and marker type) and `/api/log-markers` (list, create, delete).
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { scraperWith } from "../db/definition-pages.ts";
import { createLogMarker, deleteLogMarker, logCount, logMarkerCount, logMarkersPage, logPage, type LogMarkerRow, type LogRow } from "../db/log-list.ts";
import { ValidationError } from "../errors.ts";
import { logLevelSchema, markTypeSchema } from "../model/enums.ts";
import { logMarkerSchema } from "../model/log-marker.ts";
import type { ApiEnv } from "./deps.ts";
import { errorBodySchema } from "./errors.ts";
import { idParamSchema, pageFields, pageQuerySchema, versionedList } from "./lists.ts";
import { json, v } from "./validate.ts";

const logQuerySchema = z.object({
  ...pageQuerySchema.shape,
  scraper: z.string().min(1, "must not be empty").optional(),
  job: z.coerce.number().int("must be a whole number").positive("must be a positive id").optional(),
  level: z.preprocess((s) => (typeof s === "string" ? s.toUpperCase() : s), logLevelSchema).optional(),
  type: markTypeSchema.optional(),
});

const logOutSchema = z.object({
  id: z.number(),
  date: z.iso.datetime(),
  level: logLevelSchema,
  message: z.string(),
  ref_object: z.string().nullable(),
  type: markTypeSchema.nullable(),
  scraper_id: z.number().nullable(),
  scraper: z.string().nullable(),
  job_id: z.number().nullable(),
});
const markerOutSchema = z.object({ id: z.number(), scraper_id: z.number().nullable(), ...logMarkerSchema.shape });

function logOut(row: LogRow): z.infer<typeof logOutSchema> {
  return { ...row, date: row.date.toISOString() };
}

function markerOut(row: LogMarkerRow): z.infer<typeof markerOutSchema> {
  return { ...row, custom_type: row.custom_type ?? "" };
}

export const logRoutes = new Hono<ApiEnv>().get(
  "/",
  describeRoute({
    summary: "Log rows of the jobs, newest first; level=L gives rows at L or above; scraper is an id or a name",
    responses: { 200: json("a page of log rows", z.object({ logs: z.array(logOutSchema), ...pageFields })) },
  }),
  v("query", logQuerySchema),
  async (c) => {
    const { page, per_page, scraper, job, level, type } = c.req.valid("query");
    const { database } = c.get("deps");
    return versionedList(c, ["logs", "definitions"], async () => {
      let scraperId: number | undefined;
      if (scraper !== undefined) {
        const found = await scraperWith(database, /^\d+$/.test(scraper) ? { id: Number(scraper) } : { name: scraper });
        if (!found) throw new ValidationError([{ path: "scraper", message: /^\d+$/.test(scraper) ? `no scraper with id ${scraper}` : `no scraper named "${scraper}"` }]);
        scraperId = found.scraper.id;
      }
      const query = { ...(scraperId !== undefined ? { scraperId } : {}), ...(job !== undefined ? { jobId: job } : {}), ...(level ? { level } : {}), ...(type ? { type } : {}) };
      const rows = await logPage(database, query, { offset: (page - 1) * per_page, limit: per_page });
      return { logs: rows.map(logOut), page, per_page, total: await logCount(database, query) };
    });
  },
);

export const logMarkerRoutes = new Hono<ApiEnv>()
  .get("/", describeRoute({ summary: "The log markers, by id", responses: { 200: json("a page of markers", z.object({ log_markers: z.array(markerOutSchema), ...pageFields })) } }), v("query", pageQuerySchema), async (c) => {
    const { page, per_page } = c.req.valid("query");
    const { database } = c.get("deps");
    return versionedList(c, ["definitions"], async () => ({
      log_markers: (await logMarkersPage(database, { offset: (page - 1) * per_page, limit: per_page })).map(markerOut),
      page,
      per_page,
      total: await logMarkerCount(database),
    }));
  })
  .post(
    "/",
    describeRoute({ summary: "Create a log marker: rows stored from now on whose message contains the text get its type", responses: { 201: json("the marker", markerOutSchema) } }),
    v("json", logMarkerSchema),
    async (c) => c.json(markerOut(await createLogMarker(c.get("deps").database, c.req.valid("json"))), 201),
  )
  .delete(
    "/:id",
    describeRoute({ summary: "Delete a log marker (rows it typed keep their type)", responses: { 204: { description: "deleted" }, 404: json("no marker with that id", errorBodySchema) } }),
    v("param", idParamSchema),
    async (c) => {
      await deleteLogMarker(c.get("deps").database, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
