/**
 * @module
 * Definitions bundles over HTTP, with the CLI's semantics: `POST /api/import` stores a bundle all or nothing
 * (upsert by name; items and runtimes untouched) and answers the counts; `GET /api/export` gives the stored
 * definitions as a bundle (export → import → export is byte-identical); `GET /api/schema.json` is the bundle's
 * JSON Schema (`dscraper schema`).
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { exportBundle } from "../bundle/export.ts";
import { importBundle } from "../bundle/import.ts";
import { bundleSchema } from "../model/bundle.ts";
import { bundleJsonSchema } from "../model/json-schema.ts";
import type { ApiEnv } from "./deps.ts";
import { errorBodySchema } from "./errors.ts";
import { json, v } from "./validate.ts";

const countsSchema = z.object({ created: z.number(), updated: z.number(), unchanged: z.number() });
const importReportSchema = z.object({ classes: countsSchema, scrapers: countsSchema, sources: countsSchema });

export const bundleRoutes = new Hono<ApiEnv>()
  .post(
    "/import",
    describeRoute({
      summary: "Store a definitions bundle, all or nothing: definitions are upserted by name, items and runtimes never touched",
      responses: { 200: json("what was created, updated and left unchanged, per kind", importReportSchema), 400: json("the bundle is invalid: nothing was stored", errorBodySchema) },
    }),
    v("json", bundleSchema),
    async (c) => {
      const { database, clock } = c.get("deps");
      return c.json(await importBundle(database, c.req.valid("json"), clock), 200);
    },
  )
  .get("/export", describeRoute({ summary: "The stored definitions as a bundle", responses: { 200: json("the bundle", bundleSchema) } }), async (c) =>
    c.json(await exportBundle(c.get("deps").database), 200),
  )
  .get("/schema.json", describeRoute({ summary: "The JSON Schema of a definitions bundle" }), (c) => c.json(bundleJsonSchema(), 200));
