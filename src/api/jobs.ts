/**
 * @module
 * Jobs over HTTP: `GET /api/jobs` (filters `source` (id or name), `status`, `kind`; newest first; `page`,
 * `per_page`; an ETag from the jobs' data version, so a poll answers 304 until a job changes), `GET /api/jobs/:id` (a running job's stats are those of its last heartbeat, a second old at most in
 * the binary) and `POST /api/jobs/:id/cancel`: a queued job is cancelled at once; a running one is marked cancelled
 * at once and its run stops at its next heartbeat, aborting the requests in flight.
 */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { loadSource } from "../db/definitions.ts";
import { jobById } from "../db/jobs.ts";
import { listJobs } from "../db/job-list.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { getJob, jobJson } from "../jobs/job-json.ts";
import { cancelJob } from "../jobs/lifecycle.ts";
import { jobKindSchema, jobStatusSchema } from "../model/enums.ts";
import { jobSchema } from "../model/job.ts";
import type { ApiEnv } from "./deps.ts";
import { errorBodySchema } from "./errors.ts";
import { pageFields, pageQuerySchema, versionedList } from "./lists.ts";
import { json, v } from "./validate.ts";

export const jobIdParamSchema = z.object({ id: z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").positive("must be a positive id") });

const jobsQuerySchema = z.strictObject({
  /** A source's id or name. */
  source: z.string().min(1, "must not be empty").optional(),
  status: jobStatusSchema.optional(),
  kind: jobKindSchema.optional(),
  ...pageQuerySchema.shape,
});

const jobListSchema = z.object({ jobs: z.array(jobSchema), ...pageFields });

const notFound = json("no such job", errorBodySchema);

export const jobRoutes = new Hono<ApiEnv>()
  .get(
    "/",
    describeRoute({ summary: "Jobs, newest first, by source, status and kind", responses: { 200: json("a page of jobs and how many match in all", jobListSchema), 404: json("no such source", errorBodySchema) } }),
    v("query", jobsQuerySchema),
    async (c) => {
      const { database } = c.get("deps");
      const q = c.req.valid("query");
      // A job shows its source's name: a rename is a change of the list too.
      return versionedList(c, ["jobs", "definitions"], async () => {
        const sourceId = q.source === undefined ? undefined : (await loadSource(database, q.source)).source.id;
        const page = await listJobs(database, { ...(sourceId !== undefined ? { sourceId } : {}), ...(q.status ? { status: q.status } : {}), ...(q.kind ? { kind: q.kind } : {}) }, q.page, q.per_page);
        return { jobs: page.jobs.map(jobJson), page: q.page, per_page: q.per_page, total: page.total };
      });
    },
  )
  .get(
    "/:id",
    describeRoute({ summary: "A job: its status, and its stats (live while it runs)", responses: { 200: json("the job", jobSchema), 404: notFound } }),
    v("param", jobIdParamSchema),
    async (c) => c.json(await getJob(c.get("deps").database, c.req.valid("param").id), 200, { "cache-control": "no-store" }),
  )
  .post(
    "/:id/cancel",
    describeRoute({
      summary: "Cancel a queued or running job: it is cancelled at once, and a running crawl stops within seconds (requests in flight are aborted)",
      responses: { 200: json("the job, cancelled", jobSchema), 404: notFound, 409: json("the job has already ended", errorBodySchema) },
    }),
    v("param", jobIdParamSchema),
    async (c) => {
      const { database, clock, queue } = c.get("deps");
      const { id } = c.req.valid("param");
      const cancelled = await cancelJob(database, id, clock.now(), queue);
      if (!cancelled) {
        const job = await jobById(database, id);
        if (!job) throw new NotFoundError(`no job with id ${id}`);
        throw new ConflictError(`job ${id} has already ended: ${job.status}`);
      }
      return c.json(await getJob(database, id), 200);
    },
  );
