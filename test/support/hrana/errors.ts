/**
 * @module
 * The three ways a Hrana request can fail, mirroring sqld so that clients see what they would see
 * from Turso:
 * - {@link HranaProtocolError}: the client broke the protocol; the whole HTTP request fails with 400
 *   and the stream is dropped.
 * - {@link HranaStreamError}: the stream itself is gone (e.g. expired); HTTP 500 with an `Error` body.
 * - {@link HranaRequestError}: one stream request (or statement) failed; reported in-band as an
 *   `Error` in the pipeline results or batch step errors.
 */
import type { ProtoError } from "./proto.ts";

/** The client sent something a correct client never sends. */
export class HranaProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HranaProtocolError";
  }
}

/** The stream cannot be used any more, although the client behaved correctly. */
export class HranaStreamError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "HranaStreamError";
  }

  toProto(): ProtoError {
    return { message: this.message, code: this.code };
  }
}

/** A failed statement or stream request; the stream stays usable. */
export class HranaRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "HranaRequestError";
  }

  toProto(): ProtoError {
    return { message: this.message, code: this.code };
  }
}

/** Invalid options passed to `startHranaServer`. */
export class HranaServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HranaServerConfigError";
  }
}
