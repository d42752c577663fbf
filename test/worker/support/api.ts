/**
 * The Worker's HTTP API as a user drives it (curl with the bearer token): import a bundle, queue a crawl or a
 * check, follow the job until it ends, read the items and the sources.
 */
import { expect } from "bun:test";
import type { Job } from "../../../src/model/job.ts";
import type { Item } from "../../../src/model/item.ts";
import type { BundleInput } from "../../../src/model/bundle.ts";
import type { RunningWorker } from "../../support/worker.ts";
import { waitFor } from "./db.ts";

export interface WorkerApi {
  /** A JSON request with the token; the status and the parsed body. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  import(bundle: BundleInput): Promise<void>;
  /** `POST /api/sources/:ref/crawl`: the queued job (202). */
  crawl(source: string, options?: Record<string, unknown>): Promise<Job>;
  /** `POST /api/items/:id/check`: the queued job (202). */
  check(itemId: number): Promise<Job>;
  job(id: number): Promise<Job>;
  /** Follows `GET /api/jobs/:id` until the job has ended. */
  jobEnded(id: number, ms?: number): Promise<Job>;
  /** Every item of a source (`GET /api/items?source=…`, all pages). */
  items(source: string): Promise<Item[]>;
  source(name: string): Promise<{ id: number; runtime: { next_action_time: string } | null }>;
}

export function workerApi(worker: () => RunningWorker, token: string): WorkerApi {
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const response = await worker().fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  };
  const ok = async <T>(status: number, method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await call<T>(method, path, body);
    if (answer.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const api: WorkerApi = {
    call,
    async import(bundle) {
      await ok(200, "POST", "/api/import", bundle);
    },
    crawl: (source, options = {}) => ok<Job>(202, "POST", `/api/sources/${encodeURIComponent(source)}/crawl`, options),
    check: (itemId) => ok<Job>(202, "POST", `/api/items/${itemId}/check`, {}),
    job: (id) => ok<Job>(200, "GET", `/api/jobs/${id}`),
    async jobEnded(id, ms) {
      let last: Job | undefined;
      return waitFor(
        `job ${id} to end`,
        async () => {
          last = await api.job(id);
          return last.status === "queued" || last.status === "running" ? undefined : last;
        },
        ms,
      ).catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; last seen: ${JSON.stringify(last)}`);
      });
    },
    async items(source) {
      const all: Item[] = [];
      for (let page = 1; ; page++) {
        const body = await ok<{ items: Item[]; total: number }>(200, "GET", `/api/items?source=${encodeURIComponent(source)}&per_page=500&page=${page}`);
        all.push(...body.items);
        if (all.length >= body.total || body.items.length === 0) break;
      }
      expect(new Set(all.map((i) => i.id)).size).toBe(all.length);
      return all;
    },
    async source(name) {
      const { sources } = await ok<{ sources: { id: number; name: string; runtime: { next_action_time: string } | null }[] }>(200, "GET", "/api/sources?per_page=500");
      const found = sources.find((s) => s.name === name);
      if (!found) throw new Error(`no source ${name}`);
      return found;
    },
  };
  return api;
}
