/**
 * @module
 * The Hrana-over-HTTP structures (versions 2 and 3) as the server handles them, independent of the
 * wire encoding: the JSON and Protobuf codecs both decode requests into these types and encode
 * these responses. Names follow the Hrana 3 specification.
 */

/** Protocol version, chosen by the URL path (`v2/…`, `v3/…`, `v3-protobuf/…`). */
export type ProtocolVersion = 2 | 3;

/** Wire encoding, chosen by the URL path. */
export type Encoding = "json" | "protobuf";

/**
 * An SQLite value. Integers are `bigint` and floats `number`, so that the SQLite storage class
 * survives the round trip (`1` and `1.0` are different values to SQLite).
 */
export type Value = null | bigint | number | string | Uint8Array;

export interface NamedArg {
  name: string;
  value: Value;
}

export interface Stmt {
  sql?: string;
  sqlId?: number;
  args: Value[];
  namedArgs: NamedArg[];
  wantRows: boolean;
}

export type BatchCond =
  | { type: "ok"; step: number }
  | { type: "error"; step: number }
  | { type: "not"; cond: BatchCond }
  | { type: "and"; conds: BatchCond[] }
  | { type: "or"; conds: BatchCond[] }
  | { type: "is_autocommit" };

export interface BatchStep {
  condition?: BatchCond;
  stmt: Stmt;
}

export interface Batch {
  steps: BatchStep[];
}

export type StreamRequest =
  | { type: "close" }
  | { type: "execute"; stmt: Stmt }
  | { type: "batch"; batch: Batch }
  | { type: "sequence"; sql?: string; sqlId?: number }
  | { type: "describe"; sql?: string; sqlId?: number }
  | { type: "store_sql"; sqlId: number; sql: string }
  | { type: "close_sql"; sqlId: number }
  | { type: "get_autocommit" };

export interface PipelineReqBody {
  baton?: string;
  requests: StreamRequest[];
}

export interface CursorReqBody {
  baton?: string;
  batch: Batch;
}

export interface ProtoError {
  message: string;
  code?: string;
}

export interface Col {
  name?: string;
  decltype?: string;
}

export interface StmtResult {
  cols: Col[];
  rows: Value[][];
  affectedRowCount: number;
  lastInsertRowid?: bigint;
}

/** Index `i` holds the outcome of step `i`; a skipped step has neither a result nor an error. */
export interface BatchResult {
  stepResults: (StmtResult | undefined)[];
  stepErrors: (ProtoError | undefined)[];
}

export interface DescribeResult {
  params: { name?: string }[];
  cols: { name: string; decltype?: string }[];
  isExplain: boolean;
  isReadonly: boolean;
}

export type StreamResponse =
  | { type: "close" }
  | { type: "execute"; result: StmtResult }
  | { type: "batch"; result: BatchResult }
  | { type: "sequence" }
  | { type: "describe"; result: DescribeResult }
  | { type: "store_sql" }
  | { type: "close_sql" }
  | { type: "get_autocommit"; isAutocommit: boolean };

export type StreamResult = { type: "ok"; response: StreamResponse } | { type: "error"; error: ProtoError };

export interface PipelineRespBody {
  baton?: string;
  baseUrl?: string;
  results: StreamResult[];
}

export interface CursorRespBody {
  baton?: string;
  baseUrl?: string;
}

export type CursorEntry =
  | { type: "step_begin"; step: number; cols: Col[] }
  | { type: "step_end"; affectedRowCount: number; lastInsertRowid?: bigint }
  | { type: "step_error"; step: number; error: ProtoError }
  | { type: "row"; row: Value[] }
  | { type: "error"; error: ProtoError };

/** Bytes of an encoded body, backed by a plain ArrayBuffer as `Response` and `Blob` require. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Decodes request bodies and encodes response bodies in one wire encoding. */
export interface Codec {
  readonly encoding: Encoding;
  /** Content type of pipeline responses and error bodies. */
  readonly contentType: string;
  /** Content type of cursor responses (a sequence of framed items). */
  readonly cursorContentType: string;
  decodePipelineReq(body: Uint8Array): PipelineReqBody;
  decodeCursorReq(body: Uint8Array): CursorReqBody;
  encodePipelineResp(body: PipelineRespBody): Bytes;
  encodeError(error: ProtoError): Bytes;
  /** The first framed item of a cursor response. */
  encodeCursorHead(body: CursorRespBody): Bytes;
  /** One framed entry of a cursor response, after the head. */
  encodeCursorEntry(entry: CursorEntry): Bytes;
}

export const MIN_I64 = -(2n ** 63n);
export const MAX_I64 = 2n ** 63n - 1n;
