/**
 * The binary's image worker threads (cli/image-workers.ts): the same JPEGs and the same errors as photon inline,
 * buffers moved rather than copied, threads started lazily and replaced when they die, and an idle pool that does
 * not keep the process alive. The compiled binary's use of them is tested in binary-images.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { defaultWorkerCount, ImageWorkers, transferable } from "../../cli/image-workers.ts";
import { loadPhoton } from "../../cli/photon.ts";
import { ImageError } from "../../src/images/errors.ts";
import { renderInline, type Photon, type RenderOptions } from "../../src/images/thumbnail.ts";
import { ROOT } from "../support/cli.ts";
import { runPoolScript } from "../support/idle-pool.ts";
import { tempDir } from "../support/temp.ts";
import { gif, gradient, jpeg, pixels, png, pngClaiming, webpLossless } from "./encoders.ts";

let photon: Photon;
const pools: ImageWorkers[] = [];
function pool(options: ConstructorParameters<typeof ImageWorkers>[0] = {}): ImageWorkers {
  const p = new ImageWorkers(options);
  pools.push(p);
  return p;
}
afterAll(() => Promise.all(pools.map((p) => p.close())));

const F = {} as Record<"png" | "pngAlpha" | "jpeg" | "gif" | "webp" | "noPixels", Uint8Array>;
beforeAll(async () => {
  photon = await loadPhoton();
  F.png = await png(600, 400, pixels(600, 400, gradient(600, 400)));
  F.pngAlpha = await png(40, 20, pixels(40, 20, (x) => (x < 20 ? [0, 0, 0, 0] : [255, 0, 0, 255])), true);
  F.jpeg = jpeg(300, 200, pixels(300, 200, gradient(300, 200)));
  F.gif = gif(8, 6, [{ width: 8, height: 6, index: (x) => (x < 4 ? 0 : 1), transparentIndex: 1 }]);
  F.webp = webpLossless(40, 30, pixels(40, 30, gradient(40, 30)));
  // Whole as far as its structure tells, but with no pixel data: only the decoder refuses it.
  F.noPixels = await pngClaiming(50, 50);
});

const copy = (bytes: Uint8Array) => bytes.slice();

describe("ImageWorkers", () => {
  test.each<[string, keyof typeof F, RenderOptions]>([
    ["a PNG, original and two thumbnails", "png", { quality: 85, flatten: false, boxes: [undefined, { width: 170, height: 170 }, { width: 300, height: 100 }] }],
    ["a PNG with alpha, flattened", "pngAlpha", { quality: 85, flatten: true, boxes: [undefined] }],
    ["a JPEG at quality 30", "jpeg", { quality: 30, flatten: false, boxes: [{ width: 100, height: 100 }] }],
    ["a GIF, with boxes of one size sharing an encoding", "gif", { quality: 85, flatten: true, boxes: [undefined, { width: 100, height: 100 }, { width: 50, height: 50 }] }],
    ["a WebP", "webp", { quality: 90, flatten: false, boxes: [undefined, { width: 20, height: 20 }] }],
  ])("renders exactly what photon renders inline: %s", async (_, name, options) => {
    const inline = await renderInline(photon)(copy(F[name]), options);
    const threaded = await pool({ size: 1 }).render(copy(F[name]), options);
    expect(threaded.size).toEqual(inline.size);
    expect(threaded.jpegs).toHaveLength(options.boxes.length);
    for (const [i, jpeg] of threaded.jpegs.entries()) {
      expect(jpeg).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(jpeg).equals(Buffer.from(inline.jpegs[i]!))).toBe(true);
    }
  });

  test("a file the decoder refuses fails with the same ImageError as inline", async () => {
    const options: RenderOptions = { quality: 85, flatten: false, boxes: [undefined] };
    const inline = await renderInline(photon)(copy(F.noPixels), options).catch((e: unknown) => e);
    const threaded = await pool({ size: 1 }).render(copy(F.noPixels), options).catch((e: unknown) => e);
    expect(inline).toBeInstanceOf(ImageError);
    expect(threaded).toBeInstanceOf(ImageError);
    expect({ kind: (threaded as ImageError).kind, message: (threaded as ImageError).message }).toEqual({
      kind: "corrupt",
      message: (inline as ImageError).message,
    });
    // The thread goes on working.
    expect((await pools.at(-1)!.render(copy(F.jpeg), options)).size).toEqual({ width: 300, height: 200 });
  });

  test("a buffer the view owns whole is transferred; a view on part of one is copied and left alone", async () => {
    const p = pool({ size: 1 });
    const options: RenderOptions = { quality: 85, flatten: false, boxes: [undefined] };
    const whole = copy(F.jpeg);
    await p.render(whole, options);
    expect(whole.byteLength).toBe(0); // detached: moved to the thread, not copied
    const shared = new Uint8Array(F.jpeg.length + 10);
    shared.set(F.jpeg, 5);
    const part = shared.subarray(5, 5 + F.jpeg.length);
    expect(transferable(part)).not.toBe(part);
    expect((await p.render(part, options)).size).toEqual({ width: 300, height: 200 });
    expect(part.byteLength).toBe(F.jpeg.length);
    expect(shared.byteLength).toBe(F.jpeg.length + 10);
    // An empty view (the fetcher's shared empty body) is never transferred either.
    const empty = new Uint8Array(0);
    expect(transferable(empty)).not.toBe(empty);
  });

  test("threads start with the first job, no more than `size`, and only while all are busy", async () => {
    const one = pool({ size: 1 });
    const two = pool({ size: 2 });
    expect([one.running, two.running]).toEqual([0, 0]);
    const options: RenderOptions = { quality: 85, flatten: false, boxes: [undefined, { width: 100, height: 100 }] };
    const many = (p: ImageWorkers) => Promise.all(Array.from({ length: 12 }, () => p.render(copy(F.png), options)));
    const [a, b] = await Promise.all([many(one), many(two)]);
    expect([one.running, two.running]).toEqual([1, 2]);
    for (const r of [...a, ...b]) expect(r.size).toEqual({ width: 600, height: 400 });
    // One at a time, a single thread is enough.
    const sequential = pool({ size: 2 });
    for (let i = 0; i < 3; i++) await sequential.render(copy(F.jpeg), options);
    expect(sequential.running).toBe(1);
  });

  test("closing fails the jobs still running and refuses new ones", async () => {
    const p = pool({ size: 1 });
    const running = p.render(copy(F.png), { quality: 85, flatten: false, boxes: [undefined] });
    await p.close();
    expect(await running.catch((e: Error) => e.message)).toBe("the image workers were closed");
    expect(p.running).toBe(0);
    expect(await p.render(copy(F.png), { quality: 85, flatten: false, boxes: [undefined] }).catch((e: Error) => e.message)).toBe("the image workers are closed");
  });

  test("a thread that dies fails its jobs; the next job starts a fresh one", async () => {
    // The real worker, except that it exits on a job whose first byte is 0xEE.
    const entry = join(tempDir(), "dying-worker.ts");
    writeFileSync(
      entry,
      `import ${JSON.stringify(join(ROOT, "cli/image-worker.ts"))};
       const real = self.onmessage;
       self.onmessage = (event) => {
         if (event.data.bytes?.[0] === 0xee) process.exit(3);
         return real(event);
       };`,
    );
    const p = pool({ size: 1, entry });
    const options: RenderOptions = { quality: 85, flatten: false, boxes: [undefined] };
    expect((await p.render(copy(F.jpeg), options)).size).toEqual({ width: 300, height: 200 });
    const fatal = await p.render(new Uint8Array([0xee, 1, 2]), options).catch((e: Error) => e.message);
    expect(fatal).toStartWith("image worker stopped");
    expect(p.running).toBe(0);
    expect((await p.render(copy(F.jpeg), options)).size).toEqual({ width: 300, height: 200 });
    expect(p.running).toBe(1);
  });

  test("an idle pool does not keep the process alive, a busy one does", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "x.jpg"), F.jpeg);
    const r = await runPoolScript(dir, {
      prelude: `import { ImageWorkers } from ${JSON.stringify(join(ROOT, "cli/image-workers.ts"))};
        const bytes = new Uint8Array(await Bun.file(${JSON.stringify(join(dir, "x.jpg"))}).arrayBuffer());
        const pool = new ImageWorkers({ size: 1 });`,
      job: `pool.render(bytes, { quality: 85, flatten: false, boxes: [undefined] })`,
      report: `console.log("rendered", out.size.width);`,
    });
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ code: 0, stdout: "rendered 300\n" });
  });

  test("one thread per core beside the main thread's, at most 2", () => {
    expect([1, 2, 3, 4, 16].map((cores) => defaultWorkerCount(cores))).toEqual([1, 1, 2, 2, 2]);
  });
});
