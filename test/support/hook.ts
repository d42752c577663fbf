/**
 * A webhook receiver on 127.0.0.1: keeps every POST (headers and raw body), answers with the statuses the test
 * queues (then 200), and checks signatures the way a user's receiver would: HMAC-SHA256 of the raw body with
 * node:crypto, compared in constant time.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export interface Delivery {
  headers: Headers;
  body: string;
  json: Record<string, unknown>;
}

export interface Hook {
  url: string;
  received: Delivery[];
  /** Statuses for the next answers, in order. */
  answers: number[];
  close(): Promise<void>;
}

export function startHook(): Hook {
  const received: Delivery[] = [];
  const answers: number[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = await request.text();
      received.push({ headers: request.headers, body, json: JSON.parse(body) as Record<string, unknown> });
      return new Response("ok", { status: answers.shift() ?? 200 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, received, answers, close: async () => void (await server.stop(true)) };
}

/** Whether `header` (`sha256=<hex>`) signs `body` under `secret`. */
export function validSignature(secret: string, body: string, header: string | null): boolean {
  if (header === null || !header.startsWith("sha256=")) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(body).digest("hex"));
  const given = Buffer.from(header.slice("sha256=".length));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
