/** Whether a worker pool lets its process end once idle: a script of its own, run as a real process. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProcess, type RunResult } from "./cli.ts";

/**
 * Runs, in `dir`, a script whose `prelude` makes a pool and whose `job` expression starts one job on it. The job
 * is not awaited: only it may keep the process alive until it is done. `report` (given the job's result as `out`)
 * prints what the test expects; then a timer that keeps nothing alive itself ends the process with code 9 if
 * something else (the idle pool) still does 10 s later.
 */
export async function runPoolScript(dir: string, script: { prelude: string; job: string; report: string }): Promise<RunResult> {
  const file = join(dir, "idle-pool.ts");
  writeFileSync(
    file,
    `${script.prelude}
     ${script.job}.then((out) => {
       ${script.report}
       setTimeout(() => {
         console.log("kept alive by an idle pool");
         process.exit(9);
       }, 10_000).unref();
     });`,
  );
  return runProcess([process.execPath, file], { cwd: dir });
}
