/**
 * @module
 * The Protobuf encoding of Hrana 3 over HTTP (`v3-protobuf/…` endpoints), written against the
 * proto3 schema in the Hrana 3 specification. Only the wire features that schema uses are handled:
 * varints (int32, uint32, uint64, sint64, bool), 64-bit doubles and length-delimited fields
 * (strings, bytes, embedded messages, map entries). Unknown fields are skipped.
 */
import { HranaProtocolError } from "./errors.ts";
import type {
  Batch,
  BatchCond,
  BatchResult,
  BatchStep,
  Bytes,
  Codec,
  Col,
  CursorEntry,
  CursorReqBody,
  CursorRespBody,
  DescribeResult,
  NamedArg,
  PipelineReqBody,
  PipelineRespBody,
  ProtoError,
  Stmt,
  StmtResult,
  StreamRequest,
  StreamResponse,
  StreamResult,
  Value,
} from "./proto.ts";

const VARINT = 0;
const FIXED_64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED_32 = 5;

export const protobufCodec: Codec = {
  encoding: "protobuf",
  contentType: "application/x-protobuf",
  cursorContentType: "application/octet-stream",
  decodePipelineReq(body) {
    return pipelineReqBody(body);
  },
  decodeCursorReq(body) {
    const { baton, batch: b } = cursorReqBody(body);
    // proto3 has no required fields, so an absent batch is an empty one.
    return { baton, batch: b ?? { steps: [] } } satisfies CursorReqBody;
  },
  encodePipelineResp(body) {
    return encodeMessage(body, writePipelineRespBody);
  },
  encodeError(error) {
    return encodeMessage(error, writeError);
  },
  encodeCursorHead(body) {
    return lengthDelimited(encodeMessage(body, writeCursorRespBody));
  },
  encodeCursorEntry(entry) {
    return lengthDelimited(encodeMessage(entry, writeCursorEntry));
  },
};

// ---------------------------------------------------------------------------------------------
// Reading

type Decoder<T> = (data: Uint8Array) => T;

class Reader {
  #pos = 0;
  readonly #data: Uint8Array;
  readonly #view: DataView;

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get eof(): boolean {
    return this.#pos >= this.#data.byteLength;
  }

  varint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.#pos >= this.#data.byteLength) throw new HranaProtocolError("Truncated protobuf varint");
      const byte = this.#data[this.#pos++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new HranaProtocolError("Protobuf varint is too long");
  }

  double(): number {
    const end = this.#pos + 8;
    if (end > this.#data.byteLength) throw new HranaProtocolError("Truncated protobuf double");
    const value = this.#view.getFloat64(this.#pos, true);
    this.#pos = end;
    return value;
  }

  bytes(length: bigint): Uint8Array {
    const end = this.#pos + Number(length);
    if (length < 0n || end > this.#data.byteLength) {
      throw new HranaProtocolError("Truncated protobuf length-delimited field");
    }
    const slice = this.#data.subarray(this.#pos, end);
    this.#pos = end;
    return slice;
  }
}

/** A field whose key has been read; at most one accessor consumes its payload, or it is skipped. */
class Field {
  #consumed = false;
  readonly #reader: Reader;
  readonly #wireType: number;

  constructor(
    reader: Reader,
    readonly tag: number,
    wireType: number,
  ) {
    this.#reader = reader;
    this.#wireType = wireType;
  }

  #expect(wireType: number): void {
    if (this.#wireType !== wireType) {
      throw new HranaProtocolError(`Protobuf field ${this.tag} has wire type ${this.#wireType}, expected ${wireType}`);
    }
    this.#consumed = true;
  }

  #varint(): bigint {
    this.#expect(VARINT);
    return this.#reader.varint();
  }

  int32(): number {
    return Number(BigInt.asIntN(32, this.#varint()));
  }

  uint32(): number {
    return Number(BigInt.asUintN(32, this.#varint()));
  }

  bool(): boolean {
    return this.#varint() !== 0n;
  }

  sint64(): bigint {
    const raw = BigInt.asUintN(64, this.#varint());
    return BigInt.asIntN(64, (raw >> 1n) ^ -(raw & 1n));
  }

  double(): number {
    this.#expect(FIXED_64);
    return this.#reader.double();
  }

  bytes(): Uint8Array {
    this.#expect(LENGTH_DELIMITED);
    return this.#reader.bytes(this.#reader.varint());
  }

  string(): string {
    const data = this.bytes();
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(data);
    } catch {
      throw new HranaProtocolError(`Protobuf field ${this.tag} is not valid UTF-8`);
    }
  }

  message<T>(decode: Decoder<T>): T {
    return decode(this.bytes());
  }

  skipIfUnread(): void {
    if (this.#consumed) return;
    switch (this.#wireType) {
      case VARINT:
        this.#reader.varint();
        return;
      case FIXED_64:
        this.#reader.bytes(8n);
        return;
      case LENGTH_DELIMITED:
        this.#reader.bytes(this.#reader.varint());
        return;
      case FIXED_32:
        this.#reader.bytes(4n);
        return;
      default:
        throw new HranaProtocolError(`Unsupported protobuf wire type ${this.#wireType}`);
    }
  }
}

function forEachField(data: Uint8Array, visit: (f: Field) => void): void {
  const reader = new Reader(data);
  while (!reader.eof) {
    const key = Number(BigInt.asUintN(32, reader.varint()));
    const field = new Field(reader, key >>> 3, key & 7);
    visit(field);
    field.skipIfUnread();
  }
}

/** A message decoded into mutable state that starts as `init()` (all fields absent). */
function message<S>(init: () => S, visit: (state: S, f: Field) => void): Decoder<S> {
  return (data) => {
    const state = init();
    forEachField(data, (f) => visit(state, f));
    return state;
  };
}

/** Returned by a oneof's variant reader for a field that is not one of the variants. */
const NOT_A_VARIANT: unique symbol = Symbol("not a variant");

/**
 * A message made of a single oneof: the last variant present wins (proto3 rule), and a message with
 * no variant we know is a protocol error, as in sqld.
 */
function oneof<T>(name: string, variant: (f: Field) => T | typeof NOT_A_VARIANT): Decoder<T> {
  return (data) => {
    let found: { value: T } | undefined;
    forEachField(data, (f) => {
      const value = variant(f);
      if (value !== NOT_A_VARIANT) found = { value };
    });
    if (found === undefined) throw new HranaProtocolError(`${name} type not recognized`);
    return found.value;
  };
}

/** A message holding one embedded message in field 1, like `ExecuteStreamReq`. */
function wrapped<T>(inner: Decoder<T>, absent: () => T): Decoder<T> {
  return (data) => {
    let value: T | undefined;
    forEachField(data, (f) => {
      if (f.tag === 1) value = f.message(inner);
    });
    return value ?? absent();
  };
}

const ignoreEmpty: Decoder<void> = message(
  () => undefined,
  () => undefined,
);

const value: Decoder<Value> = oneof<Value>("Value", (f) => {
  switch (f.tag) {
    case 1:
      f.message(ignoreEmpty);
      return null;
    case 2:
      return f.sint64();
    case 3:
      return f.double();
    case 4:
      return f.string();
    case 5:
      return new Uint8Array(f.bytes());
    default:
      return NOT_A_VARIANT;
  }
});

const namedArg: Decoder<NamedArg> = (data) => {
  const state = message<{ name: string; value?: Value }>(
    () => ({ name: "" }),
    (s, f) => {
      if (f.tag === 1) s.name = f.string();
      else if (f.tag === 2) s.value = f.message(value);
    },
  )(data);
  if (state.value === undefined) throw new HranaProtocolError("NamedArg without a value");
  return { name: state.name, value: state.value };
};

const stmt: Decoder<Stmt> = message<Stmt>(
  () => ({ args: [], namedArgs: [], wantRows: true }),
  (s, f) => {
    if (f.tag === 1) s.sql = f.string();
    else if (f.tag === 2) s.sqlId = f.int32();
    else if (f.tag === 3) s.args.push(f.message(value));
    else if (f.tag === 4) s.namedArgs.push(f.message(namedArg));
    else if (f.tag === 5) s.wantRows = f.bool();
  },
);

const condList: Decoder<BatchCond[]> = (data) => {
  const conds: BatchCond[] = [];
  forEachField(data, (f) => {
    if (f.tag === 1) conds.push(f.message(batchCond));
  });
  return conds;
};

const batchCond: Decoder<BatchCond> = oneof<BatchCond>("BatchCond", (f) => {
  switch (f.tag) {
    case 1:
      return { type: "ok", step: f.uint32() };
    case 2:
      return { type: "error", step: f.uint32() };
    case 3:
      return { type: "not", cond: f.message(batchCond) };
    case 4:
      return { type: "and", conds: f.message(condList) };
    case 5:
      return { type: "or", conds: f.message(condList) };
    case 6:
      f.message(ignoreEmpty);
      return { type: "is_autocommit" };
    default:
      return NOT_A_VARIANT;
  }
});

const batchStep: Decoder<BatchStep> = (data) => {
  const state = message<{ condition?: BatchCond; stmt?: Stmt }>(
    () => ({}),
    (s, f) => {
      if (f.tag === 1) s.condition = f.message(batchCond);
      else if (f.tag === 2) s.stmt = f.message(stmt);
    },
  )(data);
  if (state.stmt === undefined) throw new HranaProtocolError("BatchStep without a statement");
  return { condition: state.condition, stmt: state.stmt };
};

const batch: Decoder<Batch> = message<Batch>(
  () => ({ steps: [] }),
  (s, f) => {
    if (f.tag === 1) s.steps.push(f.message(batchStep));
  },
);

const sqlRef = message<{ sql?: string; sqlId?: number }>(
  () => ({}),
  (s, f) => {
    if (f.tag === 1) s.sql = f.string();
    else if (f.tag === 2) s.sqlId = f.int32();
  },
);

const storeSql = message<{ sqlId: number; sql: string }>(
  () => ({ sqlId: 0, sql: "" }),
  (s, f) => {
    if (f.tag === 1) s.sqlId = f.int32();
    else if (f.tag === 2) s.sql = f.string();
  },
);

const closeSql = message<{ sqlId: number }>(
  () => ({ sqlId: 0 }),
  (s, f) => {
    if (f.tag === 1) s.sqlId = f.int32();
  },
);

const missingStmt = (): Stmt => {
  throw new HranaProtocolError("ExecuteStreamReq without a statement");
};

const streamRequest: Decoder<StreamRequest> = oneof<StreamRequest>("StreamRequest", (f) => {
  switch (f.tag) {
    case 1:
      f.message(ignoreEmpty);
      return { type: "close" };
    case 2:
      return { type: "execute", stmt: f.message(wrapped(stmt, missingStmt)) };
    case 3:
      return { type: "batch", batch: f.message(wrapped(batch, () => ({ steps: [] }))) };
    case 4:
      return { type: "sequence", ...f.message(sqlRef) };
    case 5:
      return { type: "describe", ...f.message(sqlRef) };
    case 6:
      return { type: "store_sql", ...f.message(storeSql) };
    case 7:
      return { type: "close_sql", ...f.message(closeSql) };
    case 8:
      f.message(ignoreEmpty);
      return { type: "get_autocommit" };
    default:
      return NOT_A_VARIANT;
  }
});

const pipelineReqBody: Decoder<PipelineReqBody> = message<PipelineReqBody>(
  () => ({ requests: [] }),
  (s, f) => {
    if (f.tag === 1) s.baton = f.string();
    else if (f.tag === 2) s.requests.push(f.message(streamRequest));
  },
);

const cursorReqBody = message<{ baton?: string; batch?: Batch }>(
  () => ({}),
  (s, f) => {
    if (f.tag === 1) s.baton = f.string();
    else if (f.tag === 2) s.batch = f.message(batch);
  },
);

// ---------------------------------------------------------------------------------------------
// Writing

class Writer {
  #buf: Bytes = new Uint8Array(256);
  #pos = 0;

  #ensure(extra: number): void {
    if (this.#pos + extra <= this.#buf.byteLength) return;
    let capacity = this.#buf.byteLength * 2;
    while (capacity < this.#pos + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }

  #varint(value: bigint): void {
    this.#ensure(10);
    let rest = BigInt.asUintN(64, value);
    do {
      let byte = Number(rest & 0x7fn);
      rest >>= 7n;
      if (rest !== 0n) byte |= 0x80;
      this.#buf[this.#pos++] = byte;
    } while (rest !== 0n);
  }

  #key(tag: number, wireType: number): void {
    this.#varint(BigInt((tag << 3) | wireType));
  }

  uint64(tag: number, value: bigint | number): void {
    this.#key(tag, VARINT);
    this.#varint(BigInt(value));
  }

  bool(tag: number, value: boolean): void {
    this.uint64(tag, value ? 1 : 0);
  }

  sint64(tag: number, value: bigint): void {
    this.#key(tag, VARINT);
    this.#varint((value << 1n) ^ (value >> 63n));
  }

  double(tag: number, value: number): void {
    this.#key(tag, FIXED_64);
    this.#ensure(8);
    new DataView(this.#buf.buffer).setFloat64(this.#pos, value, true);
    this.#pos += 8;
  }

  bytes(tag: number, value: Uint8Array): void {
    this.#key(tag, LENGTH_DELIMITED);
    this.#varint(BigInt(value.byteLength));
    this.#ensure(value.byteLength);
    this.#buf.set(value, this.#pos);
    this.#pos += value.byteLength;
  }

  string(tag: number, value: string): void {
    this.bytes(tag, new TextEncoder().encode(value));
  }

  message<T>(tag: number, value: T, write: (w: Writer, value: T) => void): void {
    this.bytes(tag, encodeMessage(value, write));
  }

  /** An embedded message with no fields, used for oneof variants like `Value.null`. */
  empty(tag: number): void {
    this.bytes(tag, new Uint8Array(0));
  }

  data(): Bytes {
    return this.#buf.slice(0, this.#pos);
  }
}

function encodeMessage<T>(value: T, write: (w: Writer, value: T) => void): Bytes {
  const w = new Writer();
  write(w, value);
  return w.data();
}

/** Prefixes a message with its length, the framing of cursor responses. */
function lengthDelimited(data: Bytes): Bytes {
  const length: number[] = [];
  let rest = data.byteLength;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    length.push(byte);
  } while (rest !== 0);
  const out = new Uint8Array(length.length + data.byteLength);
  out.set(length, 0);
  out.set(data, length.length);
  return out;
}

function writePipelineRespBody(w: Writer, body: PipelineRespBody): void {
  if (body.baton !== undefined) w.string(1, body.baton);
  if (body.baseUrl !== undefined) w.string(2, body.baseUrl);
  for (const result of body.results) w.message(3, result, writeStreamResult);
}

function writeCursorRespBody(w: Writer, body: CursorRespBody): void {
  if (body.baton !== undefined) w.string(1, body.baton);
  if (body.baseUrl !== undefined) w.string(2, body.baseUrl);
}

function writeStreamResult(w: Writer, result: StreamResult): void {
  if (result.type === "ok") w.message(1, result.response, writeStreamResponse);
  else w.message(2, result.error, writeError);
}

function writeStreamResponse(w: Writer, response: StreamResponse): void {
  switch (response.type) {
    case "close":
      return w.empty(1);
    case "execute":
      return w.message(2, response.result, (ww, r) => ww.message(1, r, writeStmtResult));
    case "batch":
      return w.message(3, response.result, (ww, r) => ww.message(1, r, writeBatchResult));
    case "sequence":
      return w.empty(4);
    case "describe":
      return w.message(5, response.result, (ww, r) => ww.message(1, r, writeDescribeResult));
    case "store_sql":
      return w.empty(6);
    case "close_sql":
      return w.empty(7);
    case "get_autocommit":
      return w.message(8, response.isAutocommit, (ww, a) => ww.bool(1, a));
  }
}

function writeError(w: Writer, error: ProtoError): void {
  w.string(1, error.message);
  if (error.code !== undefined) w.string(2, error.code);
}

function writeCol(w: Writer, col: Col): void {
  if (col.name !== undefined) w.string(1, col.name);
  if (col.decltype !== undefined) w.string(2, col.decltype);
}

function writeRow(w: Writer, row: Value[]): void {
  for (const v of row) w.message(1, v, writeValue);
}

function writeValue(w: Writer, v: Value): void {
  if (v === null) w.empty(1);
  else if (typeof v === "bigint") w.sint64(2, v);
  else if (typeof v === "number") w.double(3, v);
  else if (typeof v === "string") w.string(4, v);
  else w.bytes(5, v);
}

function writeStmtResult(w: Writer, result: StmtResult): void {
  for (const col of result.cols) w.message(1, col, writeCol);
  for (const row of result.rows) w.message(2, row, writeRow);
  w.uint64(3, result.affectedRowCount);
  if (result.lastInsertRowid !== undefined) w.sint64(4, result.lastInsertRowid);
}

function writeBatchResult(w: Writer, result: BatchResult): void {
  // Protobuf maps are repeated entry messages with the key in field 1 and the value in field 2.
  result.stepResults.forEach((r, step) => {
    if (r !== undefined) {
      w.message(1, r, (ww, rr) => {
        ww.uint64(1, step);
        ww.message(2, rr, writeStmtResult);
      });
    }
  });
  result.stepErrors.forEach((e, step) => {
    if (e !== undefined) {
      w.message(2, e, (ww, ee) => {
        ww.uint64(1, step);
        ww.message(2, ee, writeError);
      });
    }
  });
}

function writeDescribeResult(w: Writer, result: DescribeResult): void {
  for (const param of result.params) {
    w.message(1, param, (ww, p) => {
      if (p.name !== undefined) ww.string(1, p.name);
    });
  }
  for (const col of result.cols) {
    w.message(2, col, (ww, c) => {
      ww.string(1, c.name);
      if (c.decltype !== undefined) ww.string(2, c.decltype);
    });
  }
  w.bool(3, result.isExplain);
  w.bool(4, result.isReadonly);
}

function writeCursorEntry(w: Writer, entry: CursorEntry): void {
  switch (entry.type) {
    case "step_begin":
      return w.message(1, entry, (ww, e) => {
        ww.uint64(1, e.step);
        for (const col of e.cols) ww.message(2, col, writeCol);
      });
    case "step_end":
      return w.message(2, entry, (ww, e) => {
        ww.uint64(1, e.affectedRowCount);
        if (e.lastInsertRowid !== undefined) ww.sint64(2, e.lastInsertRowid);
      });
    case "step_error":
      return w.message(3, entry, (ww, e) => {
        ww.uint64(1, e.step);
        ww.message(2, e.error, writeError);
      });
    case "row":
      return w.message(4, entry.row, writeRow);
    case "error":
      return w.message(5, entry.error, writeError);
  }
}
