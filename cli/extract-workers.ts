/**
 * The binary's page readers: parsing and extraction (the core's `readPage`) on a small pool of threads, behind the
 * `PageReaders` port (src/crawl/read-page.ts). On the crawl's own thread a page whose XPath keeps the CPU busy for
 * minutes held everything else of the process: the lease's heartbeats (so a second run of the source was let in),
 * Ctrl-C, the other pages. Here the main thread only fetches, stores and keeps time, and each page gets a time
 * limit: a busy JavaScript thread cannot be interrupted, so a page over it has its thread terminated and replaced,
 * and is an error of kind `page_timeout` naming the limit. The same happens to the pages of a run that stops
 * (cancelled, interrupted, lease lost): their reads end at once and their threads are replaced.
 *
 * Lifecycle: threads start when pages wait and every running thread is busy, up to `size`; each reads one page at
 * a time (so the time limit measures that page alone, from when a ready thread takes it) and pages wait here in
 * arrival order. A run's definitions go to a thread once, before its first page of that run, are compiled there,
 * and are forgotten when the run releases its reader. Page bytes are transferred, results come back as plain data.
 * Idle threads do not keep the process alive; `close()` stops them all.
 */
import type { FollowLink } from "../src/extract/extractor.ts";
import type { PageInput, PageOutput, PageReaders, ReaderDefinitions, RunReader } from "../src/crawl/read-page.ts";
import { transferable } from "./image-workers.ts";

/** What the pool posts to a thread. */
export type ToThread =
  | { kind: "definitions"; key: number; definitions: ReaderDefinitions }
  | { kind: "forget"; key: number }
  | { kind: "read"; id: number; key: number; input: PageInput };

/** What a thread answers: it is loaded; a page's follow links (before its items); a page's output. */
export type FromThread = { kind: "ready" } | { kind: "links"; id: number; links: FollowLink[] } | { kind: "read"; id: number; output: PageOutput };

export const DEFAULT_PAGE_TIMEOUT_MS = 30_000;

/** Threads by default: one per core (INTERFACE.md). */
export function defaultExtractThreads(cores = navigator.hardwareConcurrency || 1): number {
  return Math.max(1, cores);
}

export interface ExtractWorkersOptions {
  /** Threads at most; default {@link defaultExtractThreads}. */
  size?: number;
  /** Time limit of one page's parsing and extraction; default 30 s. */
  pageTimeoutMs?: number;
  /** The thread's entry; default cli/extract-worker.ts (in the binary: its bundled copy, see cli/build.ts). */
  entry?: URL | string;
}

interface Job {
  id: number;
  run: Run;
  input: PageInput;
  onLinks: ((links: FollowLink[]) => void) | undefined;
  resolve(output: PageOutput): void;
  reject(e: Error): void;
}

interface Run {
  key: number;
  definitions: ReaderDefinitions;
  signal: AbortSignal;
}

interface Thread {
  worker: Bun.Worker;
  ready: boolean;
  /** The runs whose definitions this thread holds. */
  runs: Set<number>;
  job?: Job;
  timer?: ReturnType<typeof setTimeout>;
}

export class ExtractWorkers implements PageReaders {
  readonly size: number;
  readonly pageTimeoutMs: number;
  private readonly entry: URL | string;
  private readonly threads: Thread[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private nextRun = 1;
  private closed = false;

  constructor(options: ExtractWorkersOptions = {}) {
    this.size = Math.max(1, options.size ?? defaultExtractThreads());
    this.pageTimeoutMs = options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
    this.entry = options.entry ?? new URL("./extract-worker.ts", import.meta.url);
  }

  /** Threads running now (started, ready or not). */
  get running(): number {
    return this.threads.length;
  }

  forRun(definitions: ReaderDefinitions, signal: AbortSignal): RunReader {
    const run: Run = { key: this.nextRun++, definitions, signal };
    const stop = () => this.stopRun(run, signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    return {
      read: (input, onLinks) => this.read(run, input, onLinks),
      release: () => {
        signal.removeEventListener("abort", stop);
        this.stopRun(run, new Error("the run has ended"));
        for (const thread of this.threads) {
          if (thread.runs.delete(run.key)) thread.worker.postMessage({ kind: "forget", key: run.key } satisfies ToThread);
        }
      },
    };
  }

  /** Stops every thread; pages still waiting or being read are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const error = new Error("the extraction threads were closed");
    for (const job of this.waiting.splice(0)) job.reject(error);
    const threads = this.threads.splice(0);
    for (const thread of threads) {
      clearTimeout(thread.timer);
      thread.job?.reject(error);
    }
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private read(run: Run, input: PageInput, onLinks?: (links: FollowLink[]) => void): Promise<PageOutput> {
    if (this.closed) return Promise.reject(new Error("the extraction threads are closed"));
    if (run.signal.aborted) return Promise.reject(stopped(run.signal.reason));
    return new Promise<PageOutput>((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, run, input: { ...input, body: transferable(input.body) }, onLinks, resolve, reject });
      this.pump();
    });
  }

  /** Gives waiting pages to idle ready threads, and starts threads while pages wait and the pool is not full. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const idle = this.threads.filter((t) => t.ready && !t.job);
      if (idle.length === 0) break;
      const job = this.waiting.shift()!;
      this.dispatch(idle.find((t) => t.runs.has(job.run.key)) ?? idle[0]!, job);
    }
    const starting = this.threads.filter((t) => !t.ready).length;
    for (let n = this.waiting.length - starting; n > 0 && this.threads.length < this.size; n--) this.start();
  }

  private dispatch(thread: Thread, job: Job): void {
    const { worker } = thread;
    if (!thread.runs.has(job.run.key)) {
      worker.postMessage({ kind: "definitions", key: job.run.key, definitions: job.run.definitions } satisfies ToThread);
      thread.runs.add(job.run.key);
    }
    thread.job = job;
    worker.ref();
    worker.postMessage({ kind: "read", id: job.id, key: job.run.key, input: job.input } satisfies ToThread, [job.input.body.buffer as ArrayBuffer]);
    thread.timer = setTimeout(() => {
      this.replace(thread);
      job.resolve({ ok: false, error: { kind: "page_timeout", message: `parsing and extraction took longer than the page time limit of ${this.pageTimeoutMs} ms (--page-timeout-ms)` } });
    }, this.pageTimeoutMs);
  }

  private start(): void {
    const worker = new Worker(this.entry) as Bun.Worker;
    const thread: Thread = { worker, ready: false, runs: new Set() };
    worker.onmessage = (event) => this.answer(thread, (event as MessageEvent<FromThread>).data);
    // An uncaught error or an exit (out of memory) ends the thread: its page fails, the next page starts a fresh one.
    worker.onerror = (event) => this.lost(thread, (event as ErrorEvent).message || "uncaught error");
    worker.addEventListener("close", () => this.lost(thread, "it exited"));
    // Starting for pages that wait: it keeps the process alive until it has read them.
    worker.ref();
    this.threads.push(thread);
  }

  private answer(thread: Thread, message: FromThread): void {
    if (message.kind === "ready") {
      thread.ready = true;
      this.idle(thread);
      return;
    }
    const job = thread.job;
    if (!job || job.id !== message.id) return;
    if (message.kind === "links") {
      job.onLinks?.(message.links);
      return;
    }
    clearTimeout(thread.timer);
    thread.job = undefined;
    job.resolve(message.output);
    this.idle(thread);
  }

  private idle(thread: Thread): void {
    this.pump();
    if (!thread.job) thread.worker.unref();
  }

  /** Rejects the run's waiting pages, and ends the reads of its pages on threads (which are replaced). */
  private stopRun(run: Run, reason: unknown): void {
    const error = stopped(reason);
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i]!.run === run) this.waiting.splice(i, 1)[0]!.reject(error);
    }
    for (const thread of [...this.threads]) {
      if (thread.job?.run !== run) continue;
      const job = thread.job;
      this.replace(thread);
      job.reject(error);
    }
  }

  /** Terminates a busy thread (its page's answer no longer matters) and lets the pool start another when needed. */
  private replace(thread: Thread): void {
    this.remove(thread);
    void thread.worker.terminate();
    this.pump();
  }

  private lost(thread: Thread, why: string): void {
    if (!this.threads.includes(thread)) return;
    this.remove(thread);
    void thread.worker.terminate();
    const error = { ok: false as const, error: { kind: "internal" as const, message: `the extraction thread stopped: ${why}` } };
    thread.job?.resolve(error);
    // One that never got ready would fail again: the pages waiting get its error instead of an endless restart.
    if (!thread.ready) for (const job of this.waiting.splice(0)) job.resolve(error);
    this.pump();
  }

  private remove(thread: Thread): void {
    clearTimeout(thread.timer);
    const at = this.threads.indexOf(thread);
    if (at >= 0) this.threads.splice(at, 1);
  }
}

function stopped(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(reason === undefined ? "the run was stopped" : String(reason));
}
