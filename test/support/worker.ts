/**
 * @module
 * A Worker under `wrangler dev` for tests: the real workerd runtime with wrangler's local Queues, R2 and cron
 * triggers (`--test-scheduled`), and the Hrana test server standing in for Turso.
 *
 * `startWorker` copies a wrangler.toml into a temp folder as wrangler.json (its `main` made absolute, so that
 * wrangler's `.wrangler/` scratch files and state land there, not in the repository), writes the vars and secrets
 * to a `.dev.vars` beside it, as a developer would, and starts wrangler under Node 22 from node_modules (under Bun,
 * wrangler does not forward requests) on a free port picked by wrangler itself (`--port 0`; the port is read from
 * its "Ready on" line). Nothing reaches the network: `--local`, no banner (whose update check asks the npm
 * registry), no metrics or error reports, no download of the `request.cf` data (see `offlineWranglerEnv`).
 *
 * Clean-up holds even when the test process dies: wrangler runs under a small `sh` in a process group of its
 * own, which waits on a pipe from this process; when the pipe closes (`stop()`, or this process exiting for any
 * reason, even SIGKILL), it sends SIGTERM to the whole group (wrangler, workerd, esbuild), then SIGKILL to what
 * is left.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createClient } from "@libsql/client";
import { migrate } from "../../src/db/migrate.ts";
import { MIGRATIONS } from "../../src/db/migrations.gen.ts";
import { offlineWranglerEnv } from "../../worker/build.ts";
import { ROOT } from "./cli.ts";
import { type HranaServer, startHranaServer } from "./hrana-server.ts";

export interface WorkerOptions {
  /** The wrangler.toml to run; default the repository's own (the real Worker). */
  config?: string;
  /** Vars and secrets for `.dev.vars` (they override the config's `[vars]`). */
  vars?: Record<string, string>;
  /**
   * Start a Hrana test server on a fresh libSQL file and give its URL to the Worker as TURSO_DATABASE_URL (and the
   * token as TURSO_AUTH_TOKEN, which the server then requires). The Worker never migrates (a deploy runs
   * `dscraper migrate`), so the database is migrated here before the Worker starts, unless `migrate` is false.
   */
  database?: { authToken?: string; migrate?: boolean };
  /** Changes to the parsed config before it is written (e.g. a smaller batch size for one test file); `dir` is the temp folder. */
  configure?: (config: Record<string, unknown>, dir: string) => void;
  /** How long wrangler may take to answer; default 180 s (a loaded 2-core CI machine bundles slowly). */
  readyTimeoutMs?: number;
}

export interface RunningWorker {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The Hrana test server, when `database` was asked for. */
  readonly database: (HranaServer & { dbPath: string }) | undefined;
  /** The temp folder holding the config, `.dev.vars`, wrangler's state (`state/`) and logs. */
  readonly dir: string;
  /** Milliseconds from spawning wrangler to its first answer (reported, never asserted). */
  readonly startMs: number;
  /** Everything wrangler and the Worker printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves with the output once `pattern` matches it; rejects after `timeoutMs` with the output so far. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** `fetch` relative to the Worker's URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Runs the `scheduled` handler for `cron` through wrangler's `/__scheduled` route. */
  scheduled(cron: string): Promise<Response>;
  stop(): Promise<void>;
}

const NODE = join(ROOT, "node_modules/.bin/node");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/**
 * The group's guardian. Trap set after the fork so that wrangler keeps the default SIGTERM action; `kill 0` signals
 * the whole group, the shell included for the final SIGKILL. It removes the temp folder too, for when this process
 * is no longer there to do it.
 */
const GUARD = `"$@" & child=$!
trap "" TERM
read -r _
kill -TERM 0
i=0
while kill -0 "$child" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm -rf "$DSCRAPER_WORKER_DIR"
kill -KILL 0`;

export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  const dir = mkdtempSync(join(tmpdir(), "dscraper-worker-"));
  let database: (HranaServer & { dbPath: string }) | undefined;
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const stop = async () => {
    if (proc) await stopGroup(proc);
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const vars: Record<string, string> = { ...options.vars };
    if (options.database) {
      const dbPath = join(dir, "remote.db");
      const server = await startHranaServer({ dbPath, ...(options.database.authToken ? { authToken: options.database.authToken } : {}) });
      database = Object.assign(server, { dbPath });
      vars.TURSO_DATABASE_URL = server.url;
      if (options.database.authToken) vars.TURSO_AUTH_TOKEN = options.database.authToken;
      if (options.database.migrate !== false) {
        const client = createClient({ url: server.url, ...(options.database.authToken ? { authToken: options.database.authToken } : {}) });
        try {
          await migrate(client, MIGRATIONS);
        } finally {
          client.close();
        }
      }
    }
    const configPath = tempWranglerConfig(options.config ?? join(ROOT, "wrangler.toml"), dir, options.configure);
    writeFileSync(join(dir, ".dev.vars"), Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}\n`).join(""));

    const started = performance.now();
    const args = ["dev", "--config", configPath, "--local", "--ip", "127.0.0.1", "--port", "0", "--inspector-port", "0"];
    args.push("--persist-to", join(dir, "state"), "--test-scheduled", "--show-interactive-dev-session=false");
    proc = Bun.spawn(["sh", "-c", GUARD, "sh", NODE, WRANGLER, ...args], {
      cwd: dir,
      detached: true,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...offlineWranglerEnv(join(dir, "logs")), DSCRAPER_WORKER_DIR: dir },
    });
    const spawned = proc;
    // A test process that dies closes the pipe, and the guardian cleans up; one that exits without its afterAll
    // takes the group down itself.
    const onExit = () => killGroup(spawned.pid);
    process.once("exit", onExit);
    const out = collect(spawned);
    const timeoutMs = options.readyTimeoutMs ?? 180_000;
    // A Worker that fails to load leaves wrangler running; its message ends the wait at once.
    const ready = await out.waitFor(/Ready on (http:\/\/127\.0\.0\.1:\d+)|The Workers runtime failed to start/, timeoutMs);
    if (ready[1] === undefined) throw new Error(`the Worker did not start:\n${out.text()}`);
    const url = ready[1]!;
    await firstAnswer(url, started + timeoutMs, out.text);
    const startMs = Math.round(performance.now() - started);

    return {
      url,
      database,
      dir,
      startMs,
      output: out.text,
      waitForOutput: (pattern, ms = 60_000) => out.waitFor(pattern, ms),
      fetch: (path, init) => fetch(new URL(path, url), init),
      scheduled: (cron) => fetch(`${url}/__scheduled?cron=${encodeURIComponent(cron)}`),
      stop: async () => {
        process.off("exit", onExit);
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One wrangler for the whole test file: started before its first test, stopped after its last one. */
export function useWorker(options: WorkerOptions = {}): { readonly current: RunningWorker } {
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    worker = await startWorker(options);
  }, (options.readyTimeoutMs ?? 180_000) + 30_000);
  afterAll(async () => {
    await worker?.stop();
  }, 60_000);
  return {
    get current(): RunningWorker {
      if (worker === undefined) throw new Error("the Worker is not running (did beforeAll fail? see its error)");
      return worker;
    },
  };
}

/**
 * A wrangler.toml copied to `dir` as wrangler.json, its entry made absolute: wrangler keeps its scratch files
 * (`.wrangler/`) beside the config, so they land in `dir` and not in the repository.
 */
export function tempWranglerConfig(source: string, dir: string, configure?: WorkerOptions["configure"]): string {
  const config = Bun.TOML.parse(readFileSync(source, "utf8")) as Record<string, unknown>;
  if (typeof config.main !== "string") throw new Error(`${source} has no main`);
  config.main = resolve(dirname(source), config.main);
  configure?.(config, dir);
  const path = join(dir, "wrangler.json");
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

function collect(proc: ReturnType<typeof Bun.spawn>) {
  let text = "";
  let ended = false;
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of waiters) wake();
  };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      wakeAll();
    }
  };
  void Promise.all([pump(proc.stdout as ReadableStream<Uint8Array>), pump(proc.stderr as ReadableStream<Uint8Array>)]).finally(() => {
    ended = true;
    wakeAll();
  });
  return {
    text: () => text,
    waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(text);
          if (m !== null) {
            done();
            resolve(m);
          } else if (ended) {
            done();
            reject(new Error(`wrangler ended without printing ${pattern}:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} in wrangler's output within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** wrangler prints "Ready" once it listens; the first request may still wait for workerd to load the Worker. */
async function firstAnswer(url: string, deadline: number, output: () => string): Promise<void> {
  for (;;) {
    try {
      await (await fetch(`${url}/__ready`, { signal: AbortSignal.timeout(Math.max(1000, deadline - performance.now())) })).arrayBuffer();
      return;
    } catch (e) {
      if (performance.now() > deadline) throw new Error(`wrangler dev did not answer at ${url}: ${String(e)}\n${output()}`);
      await Bun.sleep(100);
    }
  }
}

/** Closes the guardian's pipe and waits for the group to be gone; SIGKILLs the group if the guardian hangs. */
async function stopGroup(proc: ReturnType<typeof Bun.spawn>): Promise<void> {
  const stdin = proc.stdin;
  if (stdin && typeof stdin !== "number") await stdin.end();
  const gone = await Promise.race([proc.exited.then(() => true), Bun.sleep(30_000).then(() => false)]);
  if (!gone) {
    killGroup(proc.pid);
    await proc.exited;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
