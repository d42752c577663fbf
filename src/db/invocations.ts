/**
 * @module
 * What each invocation of the Worker spent (`worker_invocations`): recorded once at its end, so that the budget
 * it was given can be checked against what it did, and pruned after a while.
 */
import { lt } from "drizzle-orm";
import type { Database } from "./connect.ts";
import { worker_invocations } from "./queue-schema.ts";

export type InvocationRow = typeof worker_invocations.$inferInsert;

export async function recordInvocation(database: Database, row: InvocationRow): Promise<void> {
  await database.db.insert(worker_invocations).values(row);
}

/** Forgets invocations that started before `before`. */
export async function pruneInvocations(database: Database, before: Date): Promise<void> {
  await database.db.delete(worker_invocations).where(lt(worker_invocations.started_at, before));
}
