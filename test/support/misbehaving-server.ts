/**
 * Real HTTP servers on 127.0.0.1 (random ports) that misbehave on purpose — slow, huge, looping, failing — and
 * record every request (path, method, headers, body, arrival time) and how many were in flight at once.
 * Stopped when the test file ends.
 */
import { afterAll } from "bun:test";

export interface RecordedRequest {
  method: string;
  /** pathname + search */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** performance.now() at arrival. */
  at: number;
}

export interface RouteContext {
  /** 1 for the first request to this route, 2 for the second… */
  hit: number;
  body: string;
  server: MisbehavingServer;
}

export type Route = (req: Request, ctx: RouteContext) => Response | Promise<Response>;

export interface MisbehavingServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  url(path: string): string;
  readonly requests: RecordedRequest[];
  /** The requests whose path (with query) is `path`. */
  to(path: string): RecordedRequest[];
  /** Requests whose handler has not answered yet, and the most there ever were. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  close(): Promise<void>;
}

const running: { stop(force?: boolean): unknown }[] = [];
afterAll(() => {
  for (const s of running.splice(0)) s.stop(true);
});

/**
 * Routes are keyed by pathname; a key ending in `*` matches every pathname with that prefix. Anything else
 * answers 404 (so robots.txt is "absent" unless a route gives one).
 */
export function startMisbehavingServer(routes: Record<string, Route>): MisbehavingServer {
  const requests: RecordedRequest[] = [];
  const hits = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const find = (pathname: string): [string, Route] | undefined => {
    const exact = routes[pathname];
    if (exact) return [pathname, exact];
    for (const [key, route] of Object.entries(routes)) if (key.endsWith("*") && pathname.startsWith(key.slice(0, -1))) return [key, route];
    return undefined;
  };
  const bun = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const at = performance.now();
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const url = new URL(req.url);
        const body = await req.text();
        requests.push({ method: req.method, path: url.pathname + url.search, headers: Object.fromEntries(req.headers), body, at });
        const found = find(url.pathname);
        if (!found) return new Response("not found", { status: 404 });
        const hit = (hits.get(found[0]) ?? 0) + 1;
        hits.set(found[0], hit);
        return await found[1](req, { hit, body, server });
      } finally {
        inFlight--;
      }
    },
  });
  running.push(bun);
  const port = bun.port ?? 0;
  const origin = `http://127.0.0.1:${port}`;
  const server: MisbehavingServer = {
    port,
    origin,
    url: (path) => origin + path,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    close: async () => {
      await bun.stop(true);
    },
  };
  return server;
}

/**
 * A TCP server that answers every connection with `head` (raw bytes: status line and headers, maybe some body)
 * and then holds the connection open without sending more: for lies that Bun.serve will not tell, such as a
 * Content-Length it never honours.
 */
export function startRawHttpServer(head: string): { origin: string; connections: () => number } {
  let connections = 0;
  const answered = new WeakSet<object>();
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() {
        connections++;
      },
      data(socket) {
        // A request may arrive in several packets: answer it once.
        if (answered.has(socket)) return;
        answered.add(socket);
        socket.write(head);
      },
    },
  });
  running.push(listener);
  return { origin: `http://127.0.0.1:${listener.port}`, connections: () => connections };
}

/** A port on 127.0.0.1 where nothing listens (bound once, then released). */
export function closedPort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** A body of `total` bytes in `chunk`-sized pieces, produced on demand; `pulled()` tells how far the reader got. */
export function endlessBody(total: number, chunk = 64 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const piece = new Uint8Array(chunk).fill(0x61);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      controller.enqueue(n === chunk ? piece : piece.subarray(0, n));
      sent += n;
    },
  });
  return { stream, pulled: () => sent };
}

/** `size` zero bytes gzip'd, compressed in a stream so that the test itself never holds them decoded. */
export async function gzipBomb(size: number): Promise<Uint8Array<ArrayBuffer>> {
  const zeros = new Uint8Array(1024 * 1024);
  const compressed = new Response(
    new ReadableStream<BufferSource>({
      start(controller) {
        for (let n = 0; n < size; n += zeros.length) controller.enqueue(zeros.subarray(0, Math.min(zeros.length, size - n)));
        controller.close();
      },
    }).pipeThrough(new CompressionStream("gzip")),
  );
  return new Uint8Array(await compressed.arrayBuffer());
}
