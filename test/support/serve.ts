/**
 * `dscraper serve` (or `demo`) as a real process for tests: started in a project folder on a free port, its
 * stdout read line by line as it comes (JSON log lines parsed), the URL it listens on taken from its first line.
 */
import type { Subprocess } from "bun";
import { join } from "node:path";
import { ROOT } from "./cli.ts";

export type Line = { time: string; level: string; msg: string } & Record<string, unknown>;

export interface Served {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** stdout so far, line by line, and parsed where it is JSON. */
  text: string[];
  lines: Line[];
  /** Resolves with the first line (now or later) that `match` accepts. */
  line(match: (line: Line) => boolean): Promise<Line>;
  /** Resolves when stdout has a text line containing `part`. */
  printed(part: string): Promise<string>;
  stderr(): Promise<string>;
  /** Exit code after SIGTERM (or the signal given). */
  stop(signal?: "SIGTERM" | "SIGINT"): Promise<number>;
}

/** `wrap`: a command that runs the CLI's (`setpriv …` to run it as another user). */
export async function startServe(cwd: string, args: string[] = [], env: Record<string, string> = {}, command = "serve", wrap: string[] = []): Promise<Served> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("DSCRAPER_")) clean[k] = v;
  const cmd = [...wrap, process.execPath, join(ROOT, "cli/main.ts"), command, "--port", "0", ...args];
  const proc = Bun.spawn(cmd, { cwd, env: { ...clean, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const text: string[] = [];
  const lines: Line[] = [];
  const stderrText = new Response(proc.stderr).text();
  let waiters: (() => void)[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of proc.stdout) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const part of parts) {
        text.push(part);
        try {
          lines.push(JSON.parse(part) as Line);
        } catch {
          // a line for people (the demo's), kept in `text` only
        }
      }
      for (const w of waiters.splice(0)) w();
    }
    for (const w of waiters.splice(0)) w();
  })();
  const next = () => new Promise<void>((resolve) => waiters.push(resolve));
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
    for (const w of waiters.splice(0)) w();
  });
  const served: Served = {
    proc,
    url: "",
    text,
    lines,
    async line(match) {
      for (let seen = 0; ; ) {
        const found = lines.slice(seen).find(match);
        if (found) return found;
        seen = lines.length;
        if (exited) throw new Error(`the process ended without such a line; stdout:\n${text.join("\n")}\nstderr:\n${await served.stderr()}`);
        await next();
      }
    },
    async printed(part) {
      for (;;) {
        const found = text.find((t) => t.includes(part));
        if (found !== undefined) return found;
        if (exited) throw new Error(`the process ended without printing "${part}"; stdout:\n${text.join("\n")}\nstderr:\n${await served.stderr()}`);
        await next();
      }
    },
    stderr: () => stderrText,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      return proc.exited;
    },
  };
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(await served.printed("listening on http://"))![1]!;
  served.url = url;
  return served;
}
