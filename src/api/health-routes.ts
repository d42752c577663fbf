/**
 * @module
 * `GET /api/health`, open to anyone: 200 when every part passes, 503 naming the parts that fail.
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import type { ApiEnv } from "./deps.ts";
import { healthReport } from "./health.ts";
import { json } from "./validate.ts";

const checkSchema = z.looseObject({ ok: z.boolean(), message: z.string().optional() });
const healthSchema = z.object({ status: z.enum(["ok", "degraded"]), failing: z.array(z.string()).optional(), checks: z.record(z.string(), checkSchema) });

export const healthRoutes = new Hono<ApiEnv>().get(
  "/",
  describeRoute({
    summary: "Whether the database, the image store and the job queue work (each checked for real). No token needed.",
    security: [],
    responses: { 200: json("every part works", healthSchema), 503: json("a part fails: it is named", healthSchema) },
  }),
  async (c) => {
    const { database, images, queue, extraChecks } = c.var.deps;
    const report = await healthReport({ database: async () => database, images, queue, ...(extraChecks ? { extra: extraChecks } : {}) });
    return c.json(report, report.status === "ok" ? 200 : 503, { "cache-control": "no-store" });
  },
);
