/**
 * @module
 * Routes for the tests of the real Worker under `wrangler dev`, answered only when `DSCRAPER_TEST_HOOKS` is true
 * (never set it in a deployment: they put messages on the queue without asking who sends them):
 * - `POST /__test/send` `{messages: [...]}`: sends these bodies to the jobs queue as they are (a message
 *   delivered again, a malformed one);
 * - `GET /__test/images`: the objects in R2 with their size, etag and upload time (what a second delivery must
 *   leave as it is).
 */
import type { Env } from "./env.ts";
import { workerSettings } from "./settings.ts";

export async function testHook(request: Request, env: Env): Promise<Response | undefined> {
  if (!workerSettings(env).testHooks) return undefined;
  const path = new URL(request.url).pathname;
  if (path === "/__test/send" && request.method === "POST") {
    const { messages } = (await request.json()) as { messages: unknown[] };
    await env.JOBS.sendBatch(messages.map((body) => ({ body })));
    return Response.json({ sent: messages.length });
  }
  if (path === "/__test/images" && request.method === "GET") {
    const objects: { key: string; size: number; etag: string; uploaded: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await env.IMAGES.list({ limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
      for (const o of page.objects) objects.push({ key: o.key, size: o.size, etag: o.etag, uploaded: o.uploaded.toISOString() });
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor !== undefined);
    return Response.json({ objects });
  }
  return undefined;
}
