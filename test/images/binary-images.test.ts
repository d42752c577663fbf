/**
 * Images in the compiled binary, run from a folder with nothing else in it: photon's wasm and the image worker
 * thread's entry are inside the binary (cli/build.ts), and a crawl converts and stores its images there, on the
 * worker thread (the crawl command has no other way to render), with the worker's errors reported as inline ones.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "../../cli/build.ts";
import { loadPhoton } from "../../cli/photon.ts";
import { imageFileName } from "../../src/images/keys.ts";
import { runProcess } from "../support/cli.ts";
import { picturesBundle } from "../support/crawl.ts";
import { html, startSite } from "../support/site.ts";
import { tempDir } from "../support/temp.ts";
import { gradient, jpeg, pixels, png, pngClaiming } from "./encoders.ts";

const site = startSite({
  "/img/a.png": { body: await png(600, 400, pixels(600, 400, gradient(600, 400))), type: "image/png" },
  "/img/b.jpg": { body: jpeg(300, 300, pixels(300, 300, gradient(300, 300))), type: "image/jpeg" },
  // Whole as far as its structure tells, so it reaches the decoder, which refuses it.
  "/img/no-pixels.png": { body: await pngClaiming(50, 50), type: "image/png" },
});
afterAll(() => site.close());

let binary: string;
let folder: string;

beforeAll(async () => {
  const built = await build(join(tempDir(), "dscraper"));
  folder = tempDir("dscraper-bin-images-");
  binary = join(folder, "dscraper");
  copyFileSync(built, binary);
}, 180_000);

const rows = [
  { name: "one", img: "/img/a.png" },
  { name: "two", img: "/img/a.png" },
  { name: "three", img: "/img/b.jpg" },
  { name: "four", img: "/img/no-pixels.png" },
];

describe("images in the compiled binary", () => {
  test("a crawl converts and stores its images on the worker thread, from an empty folder", async () => {
    expect(readdirSync(folder)).toEqual(["dscraper"]);
    site.set("/list", html(rows.map((r) => `<div class="p"><h2>${r.name}</h2><img src="${r.img}"></div>`).join("")));
    const bundle = picturesBundle(`${site.url}/list`, false);
    writeFileSync(join(folder, "b.json"), JSON.stringify(bundle));
    const r = await runProcess(
      [binary, "crawl", "p", "--bundle", "b.json", "--out", "items.jsonl", "--images-format", "ALL", "--thumbs", "small=170x170", "--delay-ms", "0", "--ignore-robots"],
      { cwd: folder },
    );
    expect(r.code).toBe(0);
    // The decoder's refusal crossed the thread as the same ImageError: kind and message as inline.
    expect(r.stderr).toContain("no-pixels.png) not stored: corrupt: the decoder could not read this image (damaged data)");

    const a = await imageFileName(`${site.url}/img/a.png`);
    const b = await imageFileName(`${site.url}/img/b.jpg`);
    const images = join(folder, "data/images");
    const files = readdirSync(images, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(images.length + 1))
      .sort();
    expect(files).toEqual([`full/${a}`, `full/${b}`, `thumbs/small/${a}`, `thumbs/small/${b}`].sort());
    const photon = await loadPhoton();
    const size = (key: string) => {
      const img = photon.PhotonImage.new_from_byteslice(new Uint8Array(readFileSync(join(images, key))));
      try {
        return [img.get_width(), img.get_height()];
      } finally {
        img.free();
      }
    };
    expect([size(`full/${a}`), size(`thumbs/small/${a}`), size(`full/${b}`), size(`thumbs/small/${b}`)]).toEqual([
      [600, 400],
      [170, 113],
      [300, 300],
      [170, 170],
    ]);
    const items = readFileSync(join(folder, "items.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { name: string; picture: string | null });
    expect(Object.fromEntries(items.map((i) => [i.name, i.picture]))).toEqual({ one: a, two: a, three: b, four: null });
    expect(readdirSync(folder).sort()).toEqual(["b.json", "data", "dscraper", "items.jsonl"]);
  }, 60_000);
});
