/**
 * @module
 * The test Worker's routes, each a JSON POST that runs one thing inside workerd and answers what happened:
 * - `/blob-store/conformance`: every BlobStore conformance case against R2BlobStore over the R2 binding;
 * - `/blob-store/list-pages`: R2BlobStore's list over more keys than one page of R2's listing holds;
 * - `/crawl`: a bundle imported and a source crawled by the core, on a database reached over HTTP;
 * - `/database`: a database over libSQL HTTP opened by the core (its migrations applied inside workerd), a write
 *   and a read;
 * - `/image`: a picture downloaded, thumbnailed by photon's workerd build and stored in R2, its files sent back;
 * - `/queue/send`: messages sent to the probe queue, whose consumer reports every delivery to a recorder URL.
 */
import type { MessageBatch, Queue, R2Bucket } from "@cloudflare/workers-types";
import * as photon from "@cf-wasm/photon/workerd";
import type { Photon } from "../../../src/images/thumbnail.ts";
import { createClient } from "@libsql/client/web";
import { openDatabase, type Database } from "../../../src/db/connect.ts";
import { UnavailableError } from "../../../src/errors.ts";
import { R2BlobStore } from "../../../worker/r2-blob-store.ts";
import { runBlobStoreCases } from "../../images/blob-store-conformance.ts";
import { crawlSource, downloadImage, writeAndRead, type CrawlRequest } from "./core.ts";

interface Env {
  IMAGES: R2Bucket;
  PROBE: Queue<ProbeMessage>;
}

/** What the probe queue carries: where to report a delivery, and what the consumer does with it. */
export interface ProbeMessage {
  recorder: string;
  tag: string;
  /** `ack`, or `retry` (always, so that it ends in the dead-letter queue). */
  action: "ack" | "retry";
  pad?: string;
}

const PHOTON: Photon = photon;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST") return Response.json({ error: `POST only (${path})` }, { status: 405 });
    try {
      const body = (await request.json()) as Record<string, unknown>;
      switch (path) {
        case "/blob-store/conformance":
          return Response.json({ outcomes: await runBlobStoreCases(() => emptied(env.IMAGES)) });
        case "/blob-store/list-pages": {
          const store = await emptied(env.IMAGES);
          const count = Number(body.count);
          const keys = Array.from({ length: count }, (_, i) => `many/${String(i).padStart(5, "0")}.jpg`);
          for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, new Uint8Array([1]), "image/jpeg")));
          const listed: string[] = [];
          for await (const key of store.list("many/")) listed.push(key);
          return Response.json({ listed });
        }
        case "/crawl": {
          const database = await openRemote(String(body.databaseUrl));
          const crawl: CrawlRequest = { bundle: body.bundle, source: String(body.source), ...(body.options ? { options: body.options as Record<string, unknown> } : {}) };
          return Response.json(await crawlSource(database, crawl));
        }
        case "/database": {
          const database = await openRemote(String(body.databaseUrl), String(body.authToken));
          return Response.json({ applied: database.applied, ...(await writeAndRead(database, body.bundle, String(body.source))) });
        }
        case "/image": {
          const store = await emptied(env.IMAGES);
          const stored = await downloadImage(String(body.url), body.settings, store, PHOTON);
          const files: Record<string, string> = {};
          for (const key of stored.keys) files[key] = base64((await store.get(key))!);
          return Response.json({ keys: stored.keys, files });
        }
        case "/queue/send": {
          const messages = body.messages as ProbeMessage[];
          if (body.batch) await env.PROBE.sendBatch(messages.map((m) => ({ body: m })));
          else for (const m of messages) await env.PROBE.send(m);
          return Response.json({ sent: messages.length });
        }
      }
      return Response.json({ error: `no route ${path}` }, { status: 404 });
    } catch (e) {
      return Response.json({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stack: e instanceof Error ? e.stack : undefined }, { status: 500 });
    }
  },

  async queue(batch: MessageBatch<ProbeMessage>, _env: Env): Promise<void> {
    for (const message of batch.messages) {
      const { recorder, action } = message.body;
      await fetch(recorder, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ queue: batch.queue, id: message.id, attempts: message.attempts, tag: message.body.tag }),
      });
      if (action === "retry" && batch.queue === "probe") message.retry();
      else message.ack();
    }
  },
};

/** The bucket with every object deleted: each conformance case starts on an empty store. */
async function emptied(bucket: R2Bucket): Promise<R2BlobStore> {
  for (;;) {
    const page = await bucket.list({ limit: 1000 });
    if (page.objects.length === 0) return new R2BlobStore(bucket);
    await bucket.delete(page.objects.map((o) => o.key));
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A fresh database over libSQL HTTP, migrated by the core (the Worker's own port only checks: worker/database.ts). */
async function openRemote(url: string, authToken?: string): Promise<Database> {
  const client = createClient({ url, ...(authToken ? { authToken } : {}) });
  try {
    return await openDatabase(client);
  } catch (e) {
    client.close();
    throw new UnavailableError(`database ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
