/**
 * @module
 * `GET /api/health`, open to anyone: 200 when every part passes, 503 naming the parts that fail. The answer of a
 * real check is served for a second (`HEALTH_TTL_MS`, `checked_at`): a failing part shows within that second.
 */
import { Hono, type TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import type { ApiEnv } from "./deps.ts";
import { HEALTH_TTL_MS } from "./health.ts";
import { json } from "./validate.ts";

const checkSchema = z.looseObject({ ok: z.boolean(), message: z.string().optional() });
const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  failing: z.array(z.string()).optional(),
  checks: z.record(z.string(), checkSchema),
  checked_at: z.string().describe(`when the parts were checked: an answer is served again for ${HEALTH_TTL_MS} ms`),
});

export const healthRoutes = new Hono<ApiEnv>().get(
  "/",
  describeRoute({
    summary: `Whether the database, the image store and the job queue work (each checked for real; one check answers for ${HEALTH_TTL_MS} ms). No token needed.`,
    security: [],
    responses: { 200: json("every part works", healthSchema), 503: json("a part fails: it is named", healthSchema) },
  }),
  async (c) => {
    const { status, body } = await c.get("health").answer();
    // The typed client reads the answer's type from here; the body is the report's JSON.
    return c.newResponse(body, status, { "content-type": "application/json", "cache-control": "no-store" }) as Response & TypedResponse<JSONParsed<z.infer<typeof healthSchema>>, 200 | 503, "json">;
  },
);
