/**
 * The binary's image renderer: photon on worker threads, behind the `RenderJpegs` port (src/images/thumbnail.ts).
 * Decoding and encoding are most of an image's CPU time (a 60×90 PNG: ~0.3 ms, 10,000 of them on a crawl), and
 * on the main thread they queue behind and in front of the crawl's own parsing; on a worker they run on another
 * core. Each worker costs a JavaScript heap (~4 MB) and a photon instance (its wasm memory, which never shrinks,
 * sized by the largest image it decoded); the compiled wasm is shared (cli/photon.ts). Still, photon's first
 * minutes take ~30 MB more while the engine optimises its hot functions, so the pool is small and started lazily:
 * a run that stores no image starts no thread.
 *
 * Buffers are transferred both ways, not copied. A job's result is exactly what `renderJpegs` gives inline, and so
 * are its errors: ImageError keeps its kind and message across the thread boundary, anything else its name and
 * message. A worker that dies fails its jobs and is replaced by the next job.
 */
import { ImageError, type ImageErrorKind } from "../src/images/errors.ts";
import type { Rendered, RenderJpegs, RenderOptions } from "../src/images/thumbnail.ts";
import { photonModule } from "./photon.ts";

/** What the pool posts to a worker: photon's compiled module first, then jobs. */
export type WorkerMessage = { module: WebAssembly.Module } | RenderJob;

export interface RenderJob {
  id: number;
  bytes: Uint8Array;
  options: RenderOptions;
}

/** A worker's answer to one job. */
export type RenderReply = { id: number; ok: true; rendered: Rendered } | { id: number; ok: false; error: SentError };

export interface SentError {
  name: string;
  message: string;
  /** Set for an ImageError. */
  kind?: ImageErrorKind;
}

export function sendableError(e: unknown): SentError {
  if (e instanceof ImageError) return { name: e.name, message: e.message, kind: e.kind };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: "Error", message: String(e) };
}

export function revivedError(sent: SentError): Error {
  if (sent.kind) return new ImageError(sent.kind, sent.message);
  const error = new Error(sent.message);
  error.name = sent.name;
  return error;
}

/** A view that owns its whole buffer can be transferred as it is; anything else is copied into one that does. */
export function transferable(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength > 0;
  return whole && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

/**
 * Worker threads for a machine of `cores` cores: one per core beside the main thread's, at most 2. Measured on 2
 * cores (bench/images.sh, 10,000 small PNGs): one worker is as fast as photon inline (~6.4 s; the run is bound by
 * the CPU of both cores either way) for ~3 MiB more, and keeps a large image off the main thread (a 12 MP JPEG
 * takes 1.6 s, during which inline rendering would hold every fetch, parse and heartbeat of the crawl); a second
 * one is ~9% faster (~5.9 s) but takes peak RSS to 198–202 MiB, over the benchmark's 200 MiB limit.
 */
export function defaultWorkerCount(cores = navigator.hardwareConcurrency || 1): number {
  return Math.min(2, Math.max(1, cores - 1));
}

interface Pending {
  resolve(rendered: Rendered): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Bun.Worker;
  pending: Map<number, Pending>;
  /** Settles once the worker has been sent photon's module; jobs are posted after it. */
  started: Promise<void>;
}

export interface ImageWorkersOptions {
  /** Worker threads at most; default `defaultWorkerCount()`. */
  size?: number;
  /** The worker's entry; default cli/image-worker.ts (in the binary: its bundled copy, see cli/build.ts). */
  entry?: URL | string;
}

export class ImageWorkers {
  readonly size: number;
  private readonly entry: URL | string;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: ImageWorkersOptions = {}) {
    this.size = Math.max(1, options.size ?? defaultWorkerCount());
    this.entry = options.entry ?? new URL("./image-worker.ts", import.meta.url);
  }

  /** Threads running now. */
  get running(): number {
    return this.slots.length;
  }

  /** The `RenderJpegs` port. Takes `bytes`' buffer over when the view owns all of it. */
  readonly render: RenderJpegs = (bytes, options) => {
    if (this.closed) return Promise.reject(new Error("the image workers are closed"));
    const slot = this.pick();
    const id = this.nextId++;
    const job: RenderJob = { id, bytes: transferable(bytes), options };
    return new Promise<Rendered>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // Only a worker with jobs keeps the process alive: an idle pool must not stop the binary from exiting.
      if (slot.pending.size === 1) slot.worker.ref();
      slot.started.then(
        () => slot.worker.postMessage(job, [job.bytes.buffer as ArrayBuffer]),
        (e: unknown) => {
          if (!slot.pending.delete(id)) return;
          if (slot.pending.size === 0) slot.worker.unref();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  };

  /** Stops every thread; jobs still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const slot of slots) this.fail(slot, new Error("the image workers were closed"));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  /** The least busy thread, or a new one while the pool is not full and every thread has work. */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const slot of this.slots) if (!best || slot.pending.size < best.pending.size) best = slot;
    if (best && (best.pending.size === 0 || this.slots.length >= this.size)) return best;
    return this.start();
  }

  private start(): Slot {
    const worker = new Worker(this.entry) as Bun.Worker;
    // Compiled once for all threads (cli/photon.ts); until it is, jobs wait on this side.
    const started = photonModule().then((module) => worker.postMessage({ module } satisfies WorkerMessage));
    const slot: Slot = { worker, pending: new Map(), started };
    worker.unref();
    worker.onmessage = (event) => {
      const reply = (event as unknown as { data: RenderReply }).data;
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.rendered);
      else pending.reject(revivedError(reply.error));
    };
    // An uncaught error or an exit (out of memory, a wrecked wasm instance) ends this thread: its jobs fail and
    // the next job starts a fresh one.
    const lost = (why: string) => {
      const at = this.slots.indexOf(slot);
      if (at < 0) return;
      this.slots.splice(at, 1);
      this.fail(slot, new Error(`image worker stopped: ${why}`));
      void worker.terminate();
    };
    worker.onerror = (event) => lost((event as ErrorEvent).message || "uncaught error");
    worker.addEventListener("close", () => lost("it exited"));
    this.slots.push(slot);
    return slot;
  }

  private fail(slot: Slot, e: Error): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    slot.worker.unref();
    for (const p of pending) p.reject(e);
  }
}
