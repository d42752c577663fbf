/**
 * @module
 * Work asked for by hand: `POST /api/sources/:id/crawl` (body: the run-time overrides of `dscraper crawl`, and
 * `dry_run`) and `POST /api/items/:id/check` (body: `dry_run`) answer `202` with the queued job at once; the job
 * runs in the background through the queue. Refusals come before any job exists: 404 (no such source or item),
 * 409 (a PAUSED or INACTIVE scraper, named with its status; a run of that source or item going on, named by its
 * job), 503 (an image store the crawl would need cannot be written). `POST /api/items/cleanup` deletes the items
 * no crawl has seen for `days` days (`dscraper cleanup`).
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { cleanupItems } from "../items/cleanup.ts";
import { enqueueCheck, enqueueCrawl } from "../jobs/enqueue.ts";
import { getJob } from "../jobs/job-json.ts";
import { cleanupReportSchema, cleanupRequestSchema } from "../model/cleanup.ts";
import { jobSchema } from "../model/job.ts";
import { runOptionsSchema } from "../model/run-options.ts";
import type { ApiEnv } from "./deps.ts";
import { errorBodySchema } from "./errors.ts";
import { jobIdParamSchema } from "./jobs.ts";
import { json, v } from "./validate.ts";
import { reportingStore } from "../images/errors.ts";

const sourceRefSchema = z.object({ id: z.string().min(1, "must be a source id or name") });
const checkBodySchema = z.strictObject({ dry_run: z.boolean().default(false) });

const queued = (what: string) => json(`the ${what} is queued: the job as it is now (GET /api/jobs/:id follows it)`, jobSchema);
const conflict = json("the scraper is PAUSED or INACTIVE, or a run is going on (named)", errorBodySchema);

export const sourceJobRoutes = new Hono<ApiEnv>().post(
  "/:id/crawl",
  describeRoute({
    summary: "Queue a crawl of the source (id or name), with run-time overrides",
    responses: { 202: queued("crawl"), 404: json("no such source", errorBodySchema), 409: conflict, 503: json("the image store cannot be written", errorBodySchema) },
  }),
  v("param", sourceRefSchema),
  v("json", runOptionsSchema),
  async (c) => {
    const deps = c.get("deps");
    const job = await enqueueCrawl(deps, c.req.valid("param").id, c.req.valid("json"));
    return c.json(await getJob(deps.database, job.id), 202);
  },
);

export const itemJobRoutes = new Hono<ApiEnv>()
  .post(
    "/cleanup",
    describeRoute({
      summary: "Delete the items no crawl has seen for `days` days (of one source or all), with their images and runtimes; counts",
      responses: { 200: json("what was deleted (a dry run: what would be)", cleanupReportSchema), 404: json("no such source", errorBodySchema) },
    }),
    v("json", cleanupRequestSchema),
    async (c) => {
      const { database, images, clock } = c.get("deps");
      return c.json(await cleanupItems(database, reportingStore(images), c.req.valid("json"), clock.now()), 200);
    },
  )
  .post(
    "/:id/check",
    describeRoute({ summary: "Queue a check of the item by its scraper's checkers", responses: { 202: queued("check"), 404: json("no such item", errorBodySchema), 409: conflict } }),
    v("param", jobIdParamSchema),
    v("json", checkBodySchema),
    async (c) => {
      const deps = c.get("deps");
      const job = await enqueueCheck(deps, c.req.valid("param").id, c.req.valid("json").dry_run);
      return c.json(await getJob(deps.database, job.id), 202);
    },
  );
