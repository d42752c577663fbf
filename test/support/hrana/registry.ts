/**
 * @module
 * The streams of a server and their batons, after sqld (libsql-server/src/hrana/http/stream.rs):
 * a baton names a stream and a sequence number and is signed, so it cannot be forged or replayed;
 * each HTTP request on a stream gets a new baton. A stream is either available (idle, with an
 * expiry timer) or acquired by the request that runs on it. Idle streams expire and are closed,
 * which rolls back their transaction; an expired stream is remembered for a while so that its
 * baton gets a clear "expired" error instead of "invalid baton".
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { HranaProtocolError, HranaStreamError } from "./errors.ts";
import { HranaStream, type StreamOptions } from "./stream.ts";

/** How long an expired stream's baton still gets the "expired" error rather than "invalid". */
const EXPIRED_MEMORY_MS = 5 * 60 * 1000;

type Handle =
  | { state: "available"; stream: HranaStream; seq: bigint; expiry: ReturnType<typeof setTimeout> }
  | { state: "acquired"; stream: HranaStream; seq: bigint }
  | { state: "expired"; forget: ReturnType<typeof setTimeout> };

/** A stream held by one HTTP request, until {@link StreamRegistry.release} or {@link StreamRegistry.discard}. */
export interface Lease {
  readonly id: string;
  readonly stream: HranaStream;
}

export interface RegistryOptions extends StreamOptions {
  streamIdleTimeoutMs: number;
}

export class StreamRegistry {
  readonly #key = randomBytes(32);
  readonly #handles = new Map<string, Handle>();
  readonly #options: RegistryOptions;
  #closed = false;

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /** Number of open streams (available or acquired). */
  get openCount(): number {
    let count = 0;
    for (const handle of this.#handles.values()) if (handle.state !== "expired") count++;
    return count;
  }

  /** Takes the stream named by `baton`, or opens a new stream when there is no baton. */
  acquire(baton: string | undefined): Lease {
    if (this.#closed) throw new HranaStreamError("The server is shutting down", "SERVER_CLOSED");
    if (baton === undefined) return this.#open();
    const { id, seq } = this.#decodeBaton(baton);
    const handle = this.#handles.get(id);
    if (handle === undefined) throw new HranaProtocolError("Received an invalid baton");
    if (handle.state === "expired") throw new HranaStreamError("The stream has expired due to inactivity", "STREAM_EXPIRED");
    if (handle.state === "acquired" || handle.seq !== seq) {
      throw new HranaProtocolError("Received a baton that has already been used");
    }
    clearTimeout(handle.expiry);
    // The next request must show the next sequence number, so a baton works once.
    this.#handles.set(id, { state: "acquired", stream: handle.stream, seq: BigInt.asUintN(64, seq + 1n) });
    return { id, stream: handle.stream };
  }

  /** Ends the request: returns the baton for the next one, or `undefined` if the stream was closed. */
  release(lease: Lease): string | undefined {
    const handle = this.#handles.get(lease.id);
    if (handle?.state !== "acquired") return undefined;
    if (lease.stream.closed) {
      this.#handles.delete(lease.id);
      return undefined;
    }
    const expiry = setTimeout(() => this.#expire(lease.id), this.#options.streamIdleTimeoutMs);
    expiry.unref();
    this.#handles.set(lease.id, { state: "available", stream: handle.stream, seq: handle.seq, expiry });
    return this.#encodeBaton(lease.id, handle.seq);
  }

  /** Ends the request after a failure that invalidates the stream: closes it. */
  discard(lease: Lease): void {
    lease.stream.close();
    const handle = this.#handles.get(lease.id);
    if (handle?.state === "acquired") this.#handles.delete(lease.id);
  }

  /** Closes every stream; later requests fail. */
  closeAll(): void {
    this.#closed = true;
    for (const handle of this.#handles.values()) {
      switch (handle.state) {
        case "available":
          clearTimeout(handle.expiry);
          handle.stream.close();
          break;
        case "acquired":
          // The request running on it notices and fails.
          handle.stream.close();
          break;
        case "expired":
          clearTimeout(handle.forget);
          break;
      }
    }
    this.#handles.clear();
  }

  #open(): Lease {
    const id = randomBytes(8).toString("hex");
    const stream = new HranaStream(this.#options);
    // A random first sequence number makes batons of different streams unrelated.
    this.#handles.set(id, { state: "acquired", stream, seq: randomBytes(8).readBigUInt64BE() });
    return { id, stream };
  }

  #expire(id: string): void {
    const handle = this.#handles.get(id);
    if (handle?.state !== "available") return;
    handle.stream.close();
    const forget = setTimeout(() => {
      if (this.#handles.get(id)?.state === "expired") this.#handles.delete(id);
    }, EXPIRED_MEMORY_MS);
    forget.unref();
    this.#handles.set(id, { state: "expired", forget });
  }

  #encodeBaton(id: string, seq: bigint): string {
    const payload = Buffer.alloc(16);
    Buffer.from(id, "hex").copy(payload, 0);
    payload.writeBigUInt64BE(seq, 8);
    return Buffer.concat([payload, this.#mac(payload)]).toString("base64url");
  }

  #decodeBaton(baton: string): { id: string; seq: bigint } {
    const data = Buffer.from(baton, "base64url");
    if (data.byteLength !== 48) throw new HranaProtocolError("Received an invalid baton");
    const payload = data.subarray(0, 16);
    if (!timingSafeEqual(data.subarray(16), this.#mac(payload))) throw new HranaProtocolError("Received an invalid baton");
    return { id: payload.subarray(0, 8).toString("hex"), seq: payload.readBigUInt64BE(8) };
  }

  #mac(payload: Buffer): Buffer {
    return createHmac("sha256", this.#key).update(payload).digest();
  }
}
