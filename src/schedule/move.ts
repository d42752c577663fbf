/**
 * @module
 * After a scheduled run (or one by hand with `--update-schedule`): the runtime moves to its next action time by
 * the arithmetic of SPEC.md §7. A failed run counts as a run without success, so a source whose site is down
 * backs off instead of staying due (and being retried every tick) forever.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/connect.ts";
import { scheduler_runtimes } from "../db/schema.ts";
import type { SchedulerConf } from "../model/scheduler-conf.ts";
import { nextAction, nextActionTime } from "./next-action.ts";

export type RuntimeOwner = { sourceId: number } | { itemId: number };

export interface Moved {
  next_action_time: Date;
  next_action_factor: number;
  num_zero_actions: number;
  delay_minutes: number;
}

/** Moves the owner's runtime; undefined when it has none (the item was deleted by this very check). */
export async function moveRuntime(db: Db, owner: RuntimeOwner, conf: SchedulerConf, success: boolean, now: Date): Promise<Moved | undefined> {
  const where = "sourceId" in owner ? eq(scheduler_runtimes.source_id, owner.sourceId) : eq(scheduler_runtimes.item_id, owner.itemId);
  const [runtime] = await db.select().from(scheduler_runtimes).where(where);
  if (!runtime) return undefined;
  const next = nextAction(conf, { factor: runtime.next_action_factor, zeros: runtime.num_zero_actions }, success);
  const moved = {
    next_action_time: nextActionTime(now, next.delayMinutes),
    next_action_factor: next.factor,
    num_zero_actions: next.zeros,
  };
  await db.update(scheduler_runtimes).set(moved).where(eq(scheduler_runtimes.id, runtime.id));
  return { ...moved, delay_minutes: next.delayMinutes };
}
