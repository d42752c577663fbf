/**
 * Which process runs a job (`jobs.runner`): `host:pid:boot`, `boot` a random id of this process's life. A binary
 * starting on the same host can then tell a run of a process that is gone (its pid is not alive, or is our own pid
 * under another boot id, as in a restarted container where every process is pid 1) from a run going on elsewhere.
 */
import { hostname } from "node:os";

const BOOT = crypto.randomUUID().slice(0, 8);

export const RUNNER_ID = `${hostname()}:${process.pid}:${BOOT}`;

/** Why the runner's process is known to be gone, or undefined when it may be alive (or cannot be judged from here). */
export function runnerGone(runner: string): string | undefined {
  const match = /^(.*):(\d+):([^:]+)$/.exec(runner);
  if (!match) return undefined;
  const [, host, pidText, boot] = match;
  if (host !== hostname()) return undefined;
  const pid = Number(pidText);
  if (pid === process.pid) return boot === BOOT ? undefined : `its process (pid ${pid}) ended`;
  try {
    process.kill(pid, 0);
    return undefined;
  } catch (e) {
    // EPERM: a process of another user has the pid, which may still be the runner.
    return (e as NodeJS.ErrnoException).code === "ESRCH" ? `its process (pid ${pid}) ended` : undefined;
  }
}
