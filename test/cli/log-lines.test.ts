/**
 * `serve`'s log (cli/log-lines.ts): lines go out in order, a batch per write, on their own shortly after, at once
 * past 64 K characters, on `flush()`, and when the process exits however it exits (real child processes).
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stdoutLog, type LogLine } from "../../cli/log-lines.ts";
import { ROOT, runProcess } from "../support/cli.ts";

const line = (n: number): LogLine => ({ time: "2025-01-01T00:00:00.000Z", level: "INFO", msg: "request", method: "GET", path: `/api/items/${n}`, status: 200, duration_ms: 0, request_id: `r${n}` });

function capture() {
  const writes: string[] = [];
  return { writes, out: { write: (text: string) => void writes.push(text) } };
}

describe("the log sink", () => {
  test("holds lines until flush(), then writes them in order in one write", () => {
    const { writes, out } = capture();
    const log = stdoutLog("json", out);
    for (let n = 1; n <= 3; n++) log(line(n));
    expect(writes).toEqual([]);
    log.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as LogLine).path)).toEqual(["/api/items/1", "/api/items/2", "/api/items/3"]);
    log.flush();
    expect(writes).toHaveLength(1);
  });

  test("writes by itself once the pending lines pass 64 K characters, and on its own a moment later", async () => {
    const { writes, out } = capture();
    const log = stdoutLog("pretty", out);
    const one = `${"2025-01-01T00:00:00.000Z INFO    GET /api/items/0 200 0 ms r0"}\n`.length;
    const lines = Math.ceil((64 * 1024) / one) + 1;
    for (let n = 0; n < lines; n++) log(line(n));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.startsWith("2025-01-01T00:00:00.000Z INFO    GET /api/items/0 200 0 ms r0\n")).toBe(true);
    // The rest goes out on the timer, without a flush().
    while (writes.length < 2) await Bun.sleep(5);
    expect(writes.join("").split("\n").filter(Boolean)).toHaveLength(lines);
  });

  test("the lines still pending when the process exits are written, at a natural end and at process.exit()", async () => {
    for (const end of ["", "process.exit(3);"]) {
      const code = `import { stdoutLog } from ${JSON.stringify(join(ROOT, "cli/log-lines.ts"))};
        const log = stdoutLog("json");
        for (let n = 0; n < 1000; n++) log({ time: "t", level: "INFO", msg: "line " + n });
        ${end}`;
      const r = await runProcess([process.execPath, "-e", code], { cwd: ROOT });
      expect(r.code).toBe(end ? 3 : 0);
      expect(r.stdout.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as LogLine).msg)).toEqual(Array.from({ length: 1000 }, (_, n) => `line ${n}`));
    }
  });
});
