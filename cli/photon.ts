/**
 * The binary's photon (the `Photon` port of src/images/thumbnail.ts): `@cf-wasm/photon`'s `node` entry, which
 * carries its wasm inline (base64) and compiles it on import, so `bun build --compile` embeds it like any other
 * JavaScript. The package's default `workerd` entry imports a `.wasm` file as a compiled module, which only
 * wrangler and workerd understand (in Bun the import yields a path). Loaded on first use: compiling 1.5 MB of
 * wasm is wasted on commands that store no image.
 */
import type { Photon } from "../src/images/thumbnail.ts";

let loading: Promise<Photon> | undefined;

export function loadPhoton(): Promise<Photon> {
  loading ??= import("@cf-wasm/photon/node").then((photon) => photon satisfies Photon);
  return loading;
}
