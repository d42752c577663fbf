/**
 * @module
 * The JSON encoding of Hrana over HTTP (`v2/…` and `v3/…` endpoints). Decoding is strict about the
 * fields the protocol defines and ignores unknown ones (forward compatibility, as the spec asks).
 */
import { HranaProtocolError } from "./errors.ts";
import {
  type Batch,
  type BatchCond,
  type BatchResult,
  type Bytes,
  type Codec,
  type Col,
  type CursorEntry,
  type CursorReqBody,
  type CursorRespBody,
  type DescribeResult,
  MAX_I64,
  MIN_I64,
  type NamedArg,
  type PipelineReqBody,
  type PipelineRespBody,
  type ProtoError,
  type Stmt,
  type StmtResult,
  type StreamRequest,
  type StreamResponse,
  type StreamResult,
  type Value,
} from "./proto.ts";

type JsonObject = { readonly [key: string]: unknown };

/** What {@link writeJson} can serialize; `undefined` properties are left out. */
type JsonOut = null | boolean | number | string | readonly JsonOut[] | { readonly [key: string]: JsonOut | undefined };

export const jsonCodec: Codec = {
  encoding: "json",
  contentType: "application/json",
  // sqld streams cursor lines as text/plain; the client does not look at it.
  cursorContentType: "text/plain",
  decodePipelineReq(body) {
    const obj = parseBody(body);
    return {
      baton: optString(obj, "baton"),
      requests: array(obj, "requests").map((req, i) => streamRequest(asObject(req, `requests[${i}]`))),
    } satisfies PipelineReqBody;
  },
  decodeCursorReq(body) {
    const obj = parseBody(body);
    return { baton: optString(obj, "baton"), batch: batch(object(obj, "batch")) } satisfies CursorReqBody;
  },
  encodePipelineResp(body) {
    return encode(pipelineRespBody(body));
  },
  encodeError(error) {
    return encode(protoError(error));
  },
  encodeCursorHead(body) {
    return encode(cursorRespBody(body), "\n");
  },
  encodeCursorEntry(entry) {
    return encode(cursorEntry(entry), "\n");
  },
};

// ---------------------------------------------------------------------------------------------
// Decoding

function parseBody(body: Uint8Array): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (e) {
    throw new HranaProtocolError(`Cannot deserialize client message from JSON: ${(e as Error).message}`);
  }
  return asObject(value, "request body");
}

function asObject(value: unknown, what: string): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HranaProtocolError(`Expected ${what} to be an object`);
  }
  return value as JsonObject;
}

function object(obj: JsonObject, key: string): JsonObject {
  return asObject(obj[key], `"${key}"`);
}

function optObject(obj: JsonObject, key: string): JsonObject | undefined {
  const value = obj[key];
  return value === undefined || value === null ? undefined : asObject(value, `"${key}"`);
}

function array(obj: JsonObject, key: string): unknown[] {
  const value = obj[key];
  if (!Array.isArray(value)) throw new HranaProtocolError(`Expected "${key}" to be an array`);
  return value;
}

function optArray(obj: JsonObject, key: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HranaProtocolError(`Expected "${key}" to be an array`);
  return value;
}

function string(obj: JsonObject, key: string): string {
  const value = obj[key];
  if (typeof value !== "string") throw new HranaProtocolError(`Expected "${key}" to be a string`);
  return value;
}

function optString(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new HranaProtocolError(`Expected "${key}" to be a string or null`);
  return value;
}

function int32(obj: JsonObject, key: string): number {
  const value = obj[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new HranaProtocolError(`Expected "${key}" to be a 32-bit integer`);
  }
  return value;
}

function optInt32(obj: JsonObject, key: string): number | undefined {
  const value = obj[key];
  return value === undefined || value === null ? undefined : int32(obj, key);
}

function uint32(obj: JsonObject, key: string): number {
  const value = obj[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new HranaProtocolError(`Expected "${key}" to be an unsigned 32-bit integer`);
  }
  return value;
}

function optBoolean(obj: JsonObject, key: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new HranaProtocolError(`Expected "${key}" to be a boolean`);
  return value;
}

function streamRequest(obj: JsonObject): StreamRequest {
  const type = string(obj, "type");
  switch (type) {
    case "close":
      return { type };
    case "execute":
      return { type, stmt: stmt(object(obj, "stmt")) };
    case "batch":
      return { type, batch: batch(object(obj, "batch")) };
    case "sequence":
    case "describe":
      return { type, sql: optString(obj, "sql"), sqlId: optInt32(obj, "sql_id") };
    case "store_sql":
      return { type, sqlId: int32(obj, "sql_id"), sql: string(obj, "sql") };
    case "close_sql":
      return { type, sqlId: int32(obj, "sql_id") };
    case "get_autocommit":
      return { type };
    default:
      throw new HranaProtocolError(`StreamRequest type not recognized: ${JSON.stringify(type)}`);
  }
}

function stmt(obj: JsonObject): Stmt {
  return {
    sql: optString(obj, "sql"),
    sqlId: optInt32(obj, "sql_id"),
    args: optArray(obj, "args").map((v, i) => value(asObject(v, `args[${i}]`))),
    namedArgs: optArray(obj, "named_args").map((v, i) => namedArg(asObject(v, `named_args[${i}]`))),
    wantRows: optBoolean(obj, "want_rows") ?? true,
  };
}

function namedArg(obj: JsonObject): NamedArg {
  return { name: string(obj, "name"), value: value(object(obj, "value")) };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function value(obj: JsonObject): Value {
  const type = string(obj, "type");
  switch (type) {
    case "null":
      return null;
    case "integer": {
      // Integers travel as decimal strings so that 64-bit values survive JSON.
      const text = string(obj, "value");
      if (!/^-?\d+$/.test(text)) throw new HranaProtocolError(`Invalid integer value ${JSON.stringify(text)}`);
      const int = BigInt(text);
      if (int < MIN_I64 || int > MAX_I64) throw new HranaProtocolError(`Integer value ${text} does not fit in 64 bits`);
      return int;
    }
    case "float": {
      const num = obj.value;
      if (typeof num !== "number") throw new HranaProtocolError(`Expected "value" of a float to be a number`);
      return num;
    }
    case "text":
      return string(obj, "value");
    case "blob": {
      const text = string(obj, "base64");
      if (!BASE64.test(text)) throw new HranaProtocolError("Invalid base64 in a blob value");
      return new Uint8Array(Buffer.from(text, "base64"));
    }
    default:
      throw new HranaProtocolError(`Value type not recognized: ${JSON.stringify(type)}`);
  }
}

function batch(obj: JsonObject): Batch {
  return {
    steps: array(obj, "steps").map((s, i) => {
      const step = asObject(s, `steps[${i}]`);
      const condition = optObject(step, "condition");
      return { condition: condition && batchCond(condition), stmt: stmt(object(step, "stmt")) };
    }),
  };
}

function batchCond(obj: JsonObject): BatchCond {
  const type = string(obj, "type");
  switch (type) {
    case "ok":
    case "error":
      return { type, step: uint32(obj, "step") };
    case "not":
      return { type, cond: batchCond(object(obj, "cond")) };
    case "and":
    case "or":
      return { type, conds: array(obj, "conds").map((c, i) => batchCond(asObject(c, `conds[${i}]`))) };
    case "is_autocommit":
      return { type };
    default:
      throw new HranaProtocolError(`BatchCond type not recognized: ${JSON.stringify(type)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

function encode(value: JsonOut, suffix = ""): Bytes {
  return new TextEncoder().encode(writeJson(value) + suffix);
}

/**
 * `JSON.stringify` with one difference: infinite floats become `1e999`/`-1e999`, which JSON parsers
 * read back as ±Infinity, instead of `null`, which the client would reject as a float value.
 */
export function writeJson(value: JsonOut): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
    case "string":
      return JSON.stringify(value);
    case "number":
      if (Number.isFinite(value)) return JSON.stringify(value);
      if (Number.isNaN(value)) return "null";
      return value > 0 ? "1e999" : "-1e999";
  }
  if (isJsonArray(value)) return `[${value.map(writeJson).join(",")}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${writeJson(item)}`);
  }
  return `{${parts.join(",")}}`;
}

function isJsonArray(value: JsonOut): value is readonly JsonOut[] {
  return Array.isArray(value);
}

function pipelineRespBody(body: PipelineRespBody): JsonOut {
  return { baton: body.baton ?? null, base_url: body.baseUrl ?? null, results: body.results.map(streamResult) };
}

function cursorRespBody(body: CursorRespBody): JsonOut {
  return { baton: body.baton ?? null, base_url: body.baseUrl ?? null };
}

function streamResult(result: StreamResult): JsonOut {
  return result.type === "ok"
    ? { type: "ok", response: streamResponse(result.response) }
    : { type: "error", error: protoError(result.error) };
}

function streamResponse(response: StreamResponse): JsonOut {
  switch (response.type) {
    case "close":
    case "sequence":
    case "store_sql":
    case "close_sql":
      return { type: response.type };
    case "execute":
      return { type: "execute", result: stmtResult(response.result) };
    case "batch":
      return { type: "batch", result: batchResult(response.result) };
    case "describe":
      return { type: "describe", result: describeResult(response.result) };
    case "get_autocommit":
      return { type: "get_autocommit", is_autocommit: response.isAutocommit };
  }
}

function protoError(error: ProtoError): JsonOut {
  return { message: error.message, code: error.code ?? null };
}

function col(c: Col): JsonOut {
  return { name: c.name ?? null, decltype: c.decltype ?? null };
}

function stmtResult(result: StmtResult): JsonOut {
  return {
    cols: result.cols.map(col),
    rows: result.rows.map((row) => row.map(valueOut)),
    affected_row_count: result.affectedRowCount,
    last_insert_rowid: result.lastInsertRowid === undefined ? null : result.lastInsertRowid.toString(),
  };
}

function batchResult(result: BatchResult): JsonOut {
  return {
    step_results: result.stepResults.map((r) => (r === undefined ? null : stmtResult(r))),
    step_errors: result.stepErrors.map((e) => (e === undefined ? null : protoError(e))),
  };
}

function describeResult(result: DescribeResult): JsonOut {
  return {
    params: result.params.map((p) => ({ name: p.name ?? null })),
    cols: result.cols.map((c) => ({ name: c.name, decltype: c.decltype ?? null })),
    is_explain: result.isExplain,
    is_readonly: result.isReadonly,
  };
}

function cursorEntry(entry: CursorEntry): JsonOut {
  switch (entry.type) {
    case "step_begin":
      return { type: "step_begin", step: entry.step, cols: entry.cols.map(col) };
    case "step_end":
      return {
        type: "step_end",
        affected_row_count: entry.affectedRowCount,
        last_insert_rowid: entry.lastInsertRowid === undefined ? null : entry.lastInsertRowid.toString(),
      };
    case "step_error":
      return { type: "step_error", step: entry.step, error: protoError(entry.error) };
    case "row":
      return { type: "row", row: entry.row.map(valueOut) };
    case "error":
      return { type: "error", error: protoError(entry.error) };
  }
}

function valueOut(v: Value): JsonOut {
  if (v === null) return { type: "null" };
  if (typeof v === "bigint") return { type: "integer", value: v.toString() };
  if (typeof v === "number") {
    // SQLite never stores NaN (it becomes NULL), so a NaN here can only mean NULL.
    return Number.isNaN(v) ? { type: "null" } : { type: "float", value: v };
  }
  if (typeof v === "string") return { type: "text", value: v };
  return { type: "blob", base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
}
