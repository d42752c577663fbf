/**
 * @module
 * A Hrana-over-HTTP server backed by a local libSQL database file: the stand-in for Turso (sqld) in
 * tests, speaking the protocol that `@libsql/client/web` (and `@libsql/client` with an `http:` URL)
 * really uses.
 *
 * Endpoints (relative to {@link HranaServer.url}):
 * - `GET /v2`, `GET /v3`, `GET /v3-protobuf`: version probes (no auth needed, the client sends none);
 * - `POST /v2/pipeline`, `POST /v3/pipeline` (JSON), `POST /v3-protobuf/pipeline` (Protobuf);
 * - `POST /v3/cursor` (JSON lines), `POST /v3-protobuf/cursor` (length-delimited Protobuf).
 *
 * Every stream (baton) owns its own `libsql` connection, so interactive transactions are isolated
 * and atomic; see `./hrana/stream.ts` and `./hrana/registry.ts` for the semantics.
 */
import Database from "libsql";
import { HranaProtocolError, HranaServerConfigError, HranaStreamError } from "./hrana/errors.ts";
import { jsonCodec } from "./hrana/json.ts";
import { WriteLockProbe } from "./hrana/locks.ts";
import type { Codec, ProtocolVersion } from "./hrana/proto.ts";
import { protobufCodec } from "./hrana/protobuf.ts";
import { type Lease, StreamRegistry } from "./hrana/registry.ts";

export { HranaProtocolError, HranaRequestError, HranaServerConfigError, HranaStreamError } from "./hrana/errors.ts";

export interface HranaServerOptions {
  /** Database file (created if missing; switched to WAL mode). Each stream opens its own connection to it. */
  dbPath: string;
  /** When set, pipeline and cursor requests must carry `Authorization: Bearer <authToken>`, else HTTP 401. */
  authToken?: string;
  /** An unused stream is closed after this long, rolling back its transaction. Default 10 000 ms, as sqld. */
  streamIdleTimeoutMs?: number;
  /** How long a statement waits for a lock another stream holds before failing with SQLITE_BUSY. Default 5 000 ms. */
  busyTimeoutMs?: number;
}

export interface HranaServer {
  /** `http://127.0.0.1:<port>`, to pass as `url` to `createClient` of `@libsql/client/web` or `@libsql/client`. */
  readonly url: string;
  /** Streams currently open (a client that closes its streams leaves none behind). */
  readonly openStreams: number;
  /** Closes all streams (rolling back their transactions) and stops listening. */
  close(): Promise<void>;
}

interface Endpoint {
  version: ProtocolVersion;
  codec: Codec;
}

const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  v2: { version: 2, codec: jsonCodec },
  v3: { version: 3, codec: jsonCodec },
  "v3-protobuf": { version: 3, codec: protobufCodec },
};

const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 10_000;
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export async function startHranaServer(options: HranaServerOptions): Promise<HranaServer> {
  const streamIdleTimeoutMs = positive(options.streamIdleTimeoutMs, DEFAULT_STREAM_IDLE_TIMEOUT_MS, "streamIdleTimeoutMs");
  const busyTimeoutMs = positive(options.busyTimeoutMs, DEFAULT_BUSY_TIMEOUT_MS, "busyTimeoutMs");
  if (options.dbPath === "" || options.dbPath === ":memory:") {
    // Every stream has its own connection, and each in-memory connection is a separate database.
    throw new HranaServerConfigError("dbPath must name a database file; in-memory databases are not shared between streams");
  }
  if (options.authToken === "") throw new HranaServerConfigError("authToken must not be empty");
  prepareDatabase(options.dbPath);

  const probe = new WriteLockProbe(options.dbPath);
  const registry = new StreamRegistry({ dbPath: options.dbPath, busyTimeoutMs, streamIdleTimeoutMs, probe });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // A request may legitimately wait up to busyTimeoutMs for a lock; don't let the socket time out first.
    idleTimeout: Math.min(255, Math.ceil(busyTimeoutMs / 1000) + 10),
    fetch: (request) => route(request, registry, options.authToken),
    error: (error) => textResponse(500, `Internal server error: ${error.message}`),
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    get openStreams() {
      return registry.openCount;
    },
    async close() {
      registry.closeAll();
      probe.close();
      await server.stop(true);
    },
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new HranaServerConfigError(`${name} must be a positive number of milliseconds`);
  return value;
}

function prepareDatabase(dbPath: string): void {
  let db: Database.Database;
  try {
    db = new Database(dbPath);
  } catch (e) {
    throw new HranaServerConfigError(`Cannot open database ${dbPath}: ${(e as Error).message}`);
  }
  try {
    // WAL lets streams read while another one holds a write transaction, like sqld.
    db.exec("PRAGMA journal_mode = WAL");
  } finally {
    db.close();
  }
}

async function route(request: Request, registry: StreamRegistry, authToken: string | undefined): Promise<Response> {
  const segments = new URL(request.url).pathname.split("/").filter((s) => s !== "");
  const [first, second, ...rest] = segments;
  if (first === undefined) {
    return request.method === "GET" ? textResponse(200, "Hello, this is a Hrana over HTTP test server (v2, v3, v3-protobuf)") : methodNotAllowed();
  }
  const endpoint = ENDPOINTS[first];
  if (endpoint === undefined || rest.length > 0) return textResponse(404, "Not found");
  if (second === undefined) {
    return request.method === "GET" ? textResponse(200, `Hrana over HTTP ${first} is supported`) : methodNotAllowed();
  }
  const isPipeline = second === "pipeline";
  const isCursor = second === "cursor" && endpoint.version >= 3;
  if (!isPipeline && !isCursor) return textResponse(404, "Not found");
  if (request.method !== "POST") return methodNotAllowed();

  const denied = checkAuth(request, authToken);
  if (denied !== undefined) return denied;
  try {
    const body = new Uint8Array(await request.arrayBuffer());
    return isPipeline ? await pipeline(body, endpoint, registry) : await cursor(body, endpoint, registry);
  } catch (e) {
    if (e instanceof HranaProtocolError) return textResponse(400, e.message);
    if (e instanceof HranaStreamError) {
      return new Response(endpoint.codec.encodeError(e.toProto()), {
        status: 500,
        headers: { "content-type": endpoint.codec.contentType },
      });
    }
    throw e;
  }
}

/** Mirrors sqld: 401 with a JSON body that has no `message`, which the client reports as SERVER_ERROR. */
function checkAuth(request: Request, authToken: string | undefined): Response | undefined {
  if (authToken === undefined) return undefined;
  const header = request.headers.get("authorization");
  if (header === null) return unauthorized("Expected authorization header but none given");
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match?.[1] !== authToken) return unauthorized("The auth token is invalid");
  return undefined;
}

function unauthorized(reason: string): Response {
  return Response.json({ error: `Unauthorized: \`${reason}\`` }, { status: 401 });
}

async function pipeline(body: Uint8Array, endpoint: Endpoint, registry: StreamRegistry): Promise<Response> {
  const { codec, version } = endpoint;
  const req = codec.decodePipelineReq(body);
  const lease = registry.acquire(req.baton);
  const results = await withLease(registry, lease, async () => {
    const out = [];
    for (const request of req.requests) out.push(await lease.stream.handle(request, version));
    return out;
  });
  const baton = registry.release(lease);
  return new Response(codec.encodePipelineResp({ baton, results }), { headers: { "content-type": codec.contentType } });
}

async function cursor(body: Uint8Array, endpoint: Endpoint, registry: StreamRegistry): Promise<Response> {
  const { codec, version } = endpoint;
  const req = codec.decodeCursorReq(body);
  const lease = registry.acquire(req.baton);
  // The batch runs to completion before the response starts, so the stream is free again as soon
  // as the client has the baton; the client reads the entries the same way either way.
  const entries = await withLease(registry, lease, () => lease.stream.cursorEntries(req.batch, version));
  const baton = registry.release(lease);
  const chunks = [codec.encodeCursorHead({ baton }), ...entries.map((e) => codec.encodeCursorEntry(e))];
  return new Response(new Blob(chunks), { headers: { "content-type": codec.cursorContentType } });
}

/** Runs work on a leased stream; any failure other than an in-band one closes the stream, as in sqld. */
async function withLease<T>(registry: StreamRegistry, lease: Lease, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    registry.discard(lease);
    throw e;
  }
}

function textResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain" } });
}

function methodNotAllowed(): Response {
  return textResponse(405, "Method not allowed");
}
