/**
 * @module
 * `GET /api/stats`: items per class and per source, items added in the last 24 hours and 7 days (by the API's
 * clock), jobs per status, and each source's items, next run and last successful crawl.
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { stats } from "../db/stats.ts";
import { JOB_STATUSES } from "../model/enums.ts";
import type { ApiEnv } from "./deps.ts";
import { json } from "./validate.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

const statsSchema = z.object({
  items: z.object({ total: z.number(), by_class: z.record(z.string(), z.number()), by_source: z.record(z.string(), z.number()), last_24h: z.number(), last_7d: z.number() }),
  jobs: z.object({ by_status: z.record(z.string(), z.number()) }),
  sources: z.array(
    z.object({ id: z.number(), name: z.string(), scraper: z.string(), items: z.number(), last_success_at: z.iso.datetime().nullable(), next_action_time: z.iso.datetime().nullable() }),
  ),
});

export const statsRoutes = new Hono<ApiEnv>().get(
  "/",
  describeRoute({
    summary: "Counts: items per class and source, added in the last 24 h and 7 days; jobs per status; each source's last successful crawl",
    responses: { 200: json("the figures", statsSchema) },
  }),
  async (c) => {
    const { database, clock } = c.get("deps");
    const now = clock.now().getTime();
    const s = await stats(database, [new Date(now - 7 * DAY_MS), new Date(now - DAY_MS)]);
    const body: z.infer<typeof statsSchema> = {
      items: {
        total: s.items.total,
        by_class: Object.fromEntries(s.items.byClass.map((x) => [x.name, x.n])),
        by_source: Object.fromEntries(s.items.bySource.map((x) => [x.name, x.n])),
        last_24h: s.items.since[1]!,
        last_7d: s.items.since[0]!,
      },
      jobs: { by_status: { ...Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])), ...Object.fromEntries(s.jobsByStatus.map((x) => [x.status, x.n])) } },
      sources: s.sources.map((x) => ({ ...x, last_success_at: x.last_success_at?.toISOString() ?? null, next_action_time: x.next_action_time?.toISOString() ?? null })),
    };
    return c.json(body, 200, { "cache-control": "no-store" });
  },
);
