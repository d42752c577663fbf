/**
 * The binary's photon (the `Photon` port of src/images/thumbnail.ts), loaded on first use: compiling 1.5 MB of
 * wasm is wasted on commands that store no image. The image worker threads (cli/image-worker.ts) load it, and
 * the main thread only where a command renders inline.
 *
 * The wasm comes in as a file import, which `bun build --compile` embeds in the binary (and `bun` reads from
 * node_modules), and is compiled here, for `@cf-wasm/photon/others`, the entry that leaves initialisation to
 * its caller. Not the package's `node` entry, which carries the same wasm inline as 2 MB of base64 JavaScript:
 * that source, and its decoded copy, stay in memory for the life of each instance (measured: ~8 MB more once
 * loaded, ~16 MB more at the peak of a run's first renders). Nor its default `workerd` entry, whose `.wasm` import
 * yields a compiled module only under wrangler and workerd.
 *
 * The module is compiled once per process and shared: a worker thread is sent the compiled module and only
 * instantiates it, so a second thread costs neither a second compilation nor a second copy of the code.
 */
import wasmPath from "@cf-wasm/photon/photon.wasm" with { type: "file" };
import type { Photon } from "../src/images/thumbnail.ts";

let compiling: Promise<WebAssembly.Module> | undefined;
let loading: Promise<Photon> | undefined;

/** photon's wasm, compiled (off the calling thread) on first use. */
export function photonModule(): Promise<WebAssembly.Module> {
  compiling ??= Bun.file(wasmPath)
    .bytes()
    .then((wasm) => WebAssembly.compile(wasm));
  return compiling;
}

/** photon on this thread, instantiated from `module` (one compiled elsewhere) or from `photonModule()`. */
export function loadPhoton(module?: WebAssembly.Module): Promise<Photon> {
  loading ??= (async () => {
    const photon = await import("@cf-wasm/photon/others");
    // Another entry of the package (the `node` one) may have initialised it already.
    if (!photon.initPhoton.initialized) {
      const compiled = module ?? (await photonModule());
      if (!photon.initPhoton.initialized) photon.initPhoton.sync({ module: compiled });
    }
    await photon.initPhoton.ensure();
    return photon satisfies Photon;
  })();
  return loading;
}
