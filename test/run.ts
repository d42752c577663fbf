/**
 * `npm test`: runs bun's test runner, echoing its output, and ends with the one summary line CI reads:
 * `N passed, N failed`.
 */
export {};

const args = process.argv.slice(2);
// Tests that start servers and processes get room on a loaded 2-core CI machine (bun's default is 5 s).
const proc = Bun.spawn([process.execPath, "test", "--timeout", "30000", ...args], { stdout: "pipe", stderr: "pipe", env: process.env });

let text = "";
async function tee(stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    out.write(chunk);
    text += decoder.decode(chunk, { stream: true });
  }
}
await Promise.all([tee(proc.stdout, process.stdout), tee(proc.stderr, process.stderr)]);
const code = await proc.exited;

const count = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(text)?.[1] ?? 0);
const passed = count("pass");
// A crash before bun's summary (or a non-zero exit with no failure counted) must not read as green.
const failed = count("fail") + (code !== 0 && count("fail") === 0 ? 1 : 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
