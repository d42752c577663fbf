/**
 * The binary's page readers: parsing and extraction (the core's `readPage`) on a small pool of threads, behind the
 * `PageReaders` port (src/crawl/read-page.ts). On the crawl's own thread a page whose XPath keeps the CPU busy for
 * minutes held everything else of the process: the lease's heartbeats (so a second run of the source was let in),
 * Ctrl-C, the other pages. Here the main thread only fetches, stores and keeps time, and each page gets a time
 * limit: a busy JavaScript thread cannot be interrupted, so a page over it has its thread terminated and replaced,
 * and is an error of kind `page_timeout` naming the limit. The same happens to a page of a run that stops
 * (cancelled, interrupted, lease lost): its read ends at once and its thread is replaced.
 *
 * Lifecycle: the first thread starts with the first run (it loads while the run fetches its first page), the
 * others when pages wait and every running thread is full, up to `size`. A thread reads its pages one at a time,
 * in order, and holds up to {@link DEPTH} of them: the next one is already there when it answers, instead of
 * waiting for the main thread (busy with fetches and writes) to hand it over — one page at a time, a thread idled
 * ~0.6 ms per page of the quotes benchmark, more than half its reading time. The time limit runs from when a page
 * becomes its thread's current one (as the main thread sees it: never shorter than the limit); pages queued behind
 * one over the limit go back to the pool. A current page's bytes are transferred, a page queued behind another is
 * copied (it may have to go to another thread). A run's definitions go to a thread once, before its first page of
 * that run, are compiled there, and are forgotten when the run releases its reader. Results come back as plain
 * data. Idle threads do not keep the process alive; `close()` stops them all.
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

/**
 * Threads by default: one per core beside the main thread's, at least one (the time limit and the heartbeats need
 * one). The main thread keeps a core busy of its own (fetches, SQLite writes, identity hashes, the pipeline: about
 * two thirds of a quotes page's CPU), so on 2 cores a second thread only competed with it: measured with
 * bench/ab.sh on a loaded 2-core machine, 2 threads took ~0.5 s more CPU than 1 (each thread warms up its own JIT
 * for the parser and XPath) and 10–20 MiB more peak RSS (each has its own heap), for no shorter run. Threads start
 * only when pages wait with every running thread full, so on a bigger machine the pool grows only as far as the
 * pages need it.
 */
export function defaultExtractThreads(cores = navigator.hardwareConcurrency || 1): number {
  return Math.max(1, cores - 1);
}

export interface ExtractWorkersOptions {
  /** Threads at most; default {@link defaultExtractThreads}. */
  size?: number;
  /** Time limit of one page's parsing and extraction; default 30 s. */
  pageTimeoutMs?: number;
  /** The thread's entry; default cli/extract-worker.ts (in the binary: its bundled copy, see cli/build.ts). */
  entry?: URL | string;
}

/** Pages a thread holds at most: the one it reads and the ones queued behind it. */
export const DEPTH = 2;

interface Job {
  id: number;
  run: Run;
  input: PageInput;
  onLinks: ((links: FollowLink[]) => void) | undefined;
  resolve(output: PageOutput): void;
  reject(e: Error): void;
  /** Its run stopped: the job has been answered, and its thread is replaced rather than left to read it. */
  abandoned?: boolean;
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
  /** Its pages in reading order: the first is the one it reads now. */
  jobs: Job[];
  /** The current page's time limit. */
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
    if (this.threads.length === 0 && !this.closed) this.start();
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
    const threads = this.threads.splice(0);
    for (const thread of threads) {
      clearTimeout(thread.timer);
      for (const job of thread.jobs.splice(0)) job.reject(error);
    }
    for (const job of this.waiting.splice(0)) job.reject(error);
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

  /**
   * Gives waiting pages to idle threads first, then queues them behind the least busy threads, up to {@link DEPTH}
   * each; only pages still waiting then start threads (up to `size`): a thread that keeps up with the crawl (the
   * usual case: the main thread's own work per page is the larger part) is never joined by another.
   */
  private pump(): void {
    for (let depth = 0; depth < DEPTH; depth++) {
      for (const thread of this.threads) {
        if (this.waiting.length === 0) return;
        if (thread.ready && thread.jobs.length === depth) this.dispatch(thread, this.waiting.shift()!);
      }
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
    const message: ToThread = { kind: "read", id: job.id, key: job.run.key, input: job.input };
    thread.jobs.push(job);
    worker.ref();
    if (thread.jobs.length > 1) {
      // Copied: should the page ahead of it go over the limit, this one goes to another thread.
      worker.postMessage(message);
      return;
    }
    worker.postMessage(message, [job.input.body.buffer as ArrayBuffer]);
    this.startClock(thread);
  }

  /** The time limit of the thread's current page. */
  private startClock(thread: Thread): void {
    const job = thread.jobs[0]!;
    thread.timer = setTimeout(() => {
      this.replace(thread);
      job.resolve({ ok: false, error: { kind: "page_timeout", message: `parsing and extraction took longer than the page time limit of ${this.pageTimeoutMs} ms (--page-timeout-ms)` } });
    }, this.pageTimeoutMs);
  }

  private start(): void {
    const worker = new Worker(this.entry) as Bun.Worker;
    const thread: Thread = { worker, ready: false, runs: new Set(), jobs: [] };
    worker.onmessage = (event) => this.answer(thread, (event as MessageEvent<FromThread>).data);
    // An uncaught error or an exit (out of memory) ends the thread: its page fails, the next page starts a fresh one.
    worker.onerror = (event) => this.lost(thread, (event as ErrorEvent).message || "uncaught error");
    worker.addEventListener("close", () => this.lost(thread, "it exited"));
    // Starting for pages that wait: it keeps the process alive until it has read them.
    worker.ref();
    this.threads.push(thread);
  }

  private answer(thread: Thread, message: FromThread): void {
    if (!this.threads.includes(thread)) return;
    if (message.kind === "ready") {
      thread.ready = true;
      this.pump();
      if (thread.jobs.length === 0) thread.worker.unref();
      return;
    }
    const job = thread.jobs[0];
    if (!job || job.id !== message.id) return;
    if (message.kind === "links") {
      if (!job.abandoned) job.onLinks?.(message.links);
      return;
    }
    clearTimeout(thread.timer);
    thread.jobs.shift();
    if (!job.abandoned) job.resolve(message.output);
    const next = thread.jobs[0];
    if (next?.abandoned) this.replace(thread);
    else if (next) this.startClock(thread);
    this.pump();
    if (thread.jobs.length === 0) thread.worker.unref();
  }

  /** Rejects the run's pages; a thread reading one of them now is replaced, the other pages it held go back. */
  private stopRun(run: Run, reason: unknown): void {
    const error = stopped(reason);
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i]!.run === run) this.waiting.splice(i, 1)[0]!.reject(error);
    }
    for (const thread of [...this.threads]) {
      for (const job of thread.jobs) {
        if (job.run !== run || job.abandoned) continue;
        job.abandoned = true;
        job.reject(error);
      }
      if (thread.jobs[0]?.abandoned) this.replace(thread);
    }
  }

  /**
   * Terminates a thread whose current page's answer no longer matters; the pages queued behind it go back to the
   * front of the queue (a fresh thread starts for them).
   */
  private replace(thread: Thread): void {
    this.remove(thread);
    void thread.worker.terminate();
    this.waiting.unshift(...thread.jobs.slice(1).filter((job) => !job.abandoned));
    this.pump();
  }

  private lost(thread: Thread, why: string): void {
    if (!this.threads.includes(thread)) return;
    const error = { ok: false as const, error: { kind: "internal" as const, message: `the extraction thread stopped: ${why}` } };
    const current = thread.jobs[0];
    if (current && !current.abandoned) current.resolve(error);
    // One that never got ready would fail again: the pages waiting get its error instead of an endless restart.
    if (!thread.ready) for (const job of this.waiting.splice(0)) job.resolve(error);
    this.replace(thread);
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
