/** Runs the CLI as a user does: a real process, with its exit code, stdout and stderr. */
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "cli/main.ts");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {}): Promise<RunResult> {
  return runProcess([process.execPath, MAIN, ...args], opts);
}

export async function runProcess(cmd: string[], opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {}): Promise<RunResult> {
  const env: Record<string, string> = {};
  // The user's DSCRAPER_* settings must not leak into tests.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("DSCRAPER_")) env[k] = v;
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd ?? ROOT,
    env: { ...env, ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
