/**
 * @module
 * Jobs as people look at them (`GET /api/jobs`, `dscraper jobs`, the admin's job screens): a row with its source's
 * name, one at a time or a page of them newest first, filtered by source, status and kind.
 */
import { and, count, desc, eq, type SQL } from "drizzle-orm";
import type { JobKind, JobStatus } from "../model/enums.ts";
import type { Database } from "./connect.ts";
import type { JobRow } from "./jobs.ts";
import { jobs, sources } from "./schema.ts";

/** A job row with the name of its source (null once the source was deleted, or for a job without one). */
export type JobView = JobRow & { source: string | null };

export interface JobFilter {
  sourceId?: number;
  status?: JobStatus;
  kind?: JobKind;
}

function matching(filter: JobFilter): SQL | undefined {
  return and(
    filter.sourceId === undefined ? undefined : eq(jobs.source_id, filter.sourceId),
    filter.status === undefined ? undefined : eq(jobs.status, filter.status),
    filter.kind === undefined ? undefined : eq(jobs.kind, filter.kind),
  );
}

export async function jobView(database: Database, id: number): Promise<JobView | undefined> {
  const [row] = await database.db.select({ job: jobs, source: sources.name }).from(jobs).leftJoin(sources, eq(sources.id, jobs.source_id)).where(eq(jobs.id, id));
  return row && { ...row.job, source: row.source };
}

/** One page of the jobs `filter` selects, newest first (ids grow with time), and how many there are in all. */
export async function listJobs(database: Database, filter: JobFilter, page: number, perPage: number): Promise<{ jobs: JobView[]; total: number }> {
  const where = matching(filter);
  const [rows, [counted]] = await Promise.all([
    database.db
      .select({ job: jobs, source: sources.name })
      .from(jobs)
      .leftJoin(sources, eq(sources.id, jobs.source_id))
      .where(where)
      .orderBy(desc(jobs.id))
      .limit(perPage)
      .offset((page - 1) * perPage),
    database.db.select({ n: count() }).from(jobs).where(where),
  ]);
  return { jobs: rows.map((r) => ({ ...r.job, source: r.source })), total: counted?.n ?? 0 };
}
