/**
 * @module
 * After a scheduled run (or one by hand with `--update-schedule`): the runtime moves to its next action time by
 * the arithmetic of SPEC.md §7. A failed run counts as a run without success, so a source whose site is down
 * backs off instead of staying due (and being retried every tick) forever.
 */
import type { Database } from "../db/connect.ts";
import { runtimeToMove, saveRuntimeMove, type RuntimeOwner } from "../db/runtimes.ts";
import { nextAction, nextActionTime } from "./next-action.ts";

export interface Moved {
  next_action_time: Date;
  next_action_factor: number;
  num_zero_actions: number;
  delay_minutes: number;
}

/**
 * Moves the owner's runtime by its class's scheduler configuration; undefined when it has none (the item was
 * deleted by this very check, or the source is gone).
 */
export async function moveRuntime(database: Database, owner: RuntimeOwner, success: boolean, now: Date): Promise<Moved | undefined> {
  const found = await runtimeToMove(database, owner);
  if (!found) return undefined;
  const { runtime, conf } = found;
  const next = nextAction(conf, { factor: runtime.next_action_factor, zeros: runtime.num_zero_actions }, success);
  const moved = {
    next_action_time: nextActionTime(now, next.delayMinutes),
    next_action_factor: next.factor,
    num_zero_actions: next.zeros,
  };
  await saveRuntimeMove(database, runtime.id, moved);
  return { ...moved, delay_minutes: next.delayMinutes };
}
