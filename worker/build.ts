/**
 * `npm run build:worker`: bundles the Worker as `wrangler deploy` would, offline (`--dry-run`, into dist/worker),
 * and prints the upload's gzip size against the free plan's 3 MiB limit, with what takes the room: the wasm
 * modules, and the JavaScript by package.
 *
 * The size is wrangler's own measure: all modules (JavaScript, wasm, text) concatenated and gzipped at zlib's
 * default level. Runs under Bun; wrangler itself runs under the Node 22 of node_modules.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";

export const ROOT = resolve(import.meta.dir, "..");
/** The free plan's limit on a Worker's compressed upload. */
export const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;

/**
 * The environment that keeps wrangler off the network and out of the home folder: no metrics or error reports,
 * no banner (its update check asks the npm registry), no download of the `request.cf` data, logs in `logDir`.
 * wrangler also asks the registry for a newer version of itself after some errors and config warnings, with no
 * switch to turn that off: the registry it reads (npm's config, from the environment) is pointed at a closed port
 * on this machine, so those checks fail at once.
 */
export function offlineWranglerEnv(logDir: string): Record<string, string | undefined> {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: logDir,
    npm_config_registry: "http://127.0.0.1:9/",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
}

export interface BundleSize {
  /** The modules' file names. */
  modules: string[];
  /** Bytes of all modules. */
  size: number;
  /** Bytes of all modules gzipped together, as wrangler measures them. */
  gzipSize: number;
  /** Each wasm module: raw and gzipped bytes. */
  wasm: { file: string; size: number; gzipSize: number }[];
  /** Bytes in the (minified) JavaScript by origin: an npm package, or a folder of this repository. Largest first. */
  javascript: { origin: string; bytes: number }[];
}

export interface BuildOptions {
  /** wrangler.toml to build; default the repository's. */
  config?: string;
  outdir: string;
  /** Minify even if the config does not ask for it. */
  minify?: boolean;
}

/** Runs `wrangler deploy --dry-run` into `outdir` and measures what it wrote. Throws with wrangler's output on failure. */
export async function buildWorker(options: BuildOptions): Promise<BundleSize> {
  const config = options.config ?? join(ROOT, "wrangler.toml");
  rmSync(options.outdir, { recursive: true, force: true });
  mkdirSync(options.outdir, { recursive: true });
  const metafile = join(options.outdir, "bundle-meta.json");
  const args = ["deploy", "--dry-run", "--config", config, "--outdir", options.outdir, "--metafile", metafile, ...(options.minify ? ["--minify"] : [])];
  const proc = Bun.spawn([join(ROOT, "node_modules/.bin/node"), join(ROOT, "node_modules/wrangler/bin/wrangler.js"), ...args], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: offlineWranglerEnv(join(options.outdir, "logs")),
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  rmSync(join(options.outdir, "logs"), { recursive: true, force: true });
  if (code !== 0 || !existsSync(metafile)) throw new Error(`wrangler deploy --dry-run failed (exit ${code}):\n${out}${err}`);
  return measure(options.outdir, metafile, dirname(config));
}

/** What `--dry-run --outdir` writes beside the modules. */
const NOT_MODULES = new Set(["README.md", "bundle-meta.json", "logs"]);

function measure(outdir: string, metafile: string, configDir: string): BundleSize {
  // Every module uploaded: the JavaScript, the wasm, and the text modules (the admin's stylesheet and script).
  const files = readdirSync(outdir).filter((f) => !NOT_MODULES.has(f) && !f.endsWith(".map"));
  const contents = files.map((f) => readFileSync(join(outdir, f)));
  const wasm = files.flatMap((file, i) => (file.endsWith(".wasm") ? [{ file, size: contents[i]!.length, gzipSize: gzipSync(contents[i]!).length }] : []));
  const meta = JSON.parse(readFileSync(metafile, "utf8")) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
  const byOrigin = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const origin = originOf(relative(ROOT, resolve(configDir, input)));
      byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + bytesInOutput);
    }
  }
  return {
    modules: files,
    size: contents.reduce((n, c) => n + c.length, 0),
    gzipSize: gzipSync(Buffer.concat(contents)).length,
    wasm,
    javascript: [...byOrigin].map(([origin, bytes]) => ({ origin, bytes })).sort((a, b) => b.bytes - a.bytes),
  };
}

/** `node_modules/@scope/pkg/…` → `@scope/pkg`; `src/extract/x.ts` → `src/extract`; anything else by its first folder. */
function originOf(path: string): string {
  const parts = path.split("/");
  const at = parts.lastIndexOf("node_modules");
  if (at >= 0) return parts[at + 1]?.startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : (parts[at + 1] ?? path);
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export function report(size: BundleSize): string {
  const lines = [
    `upload: ${kib(size.size)}, gzip ${kib(size.gzipSize)} of the free plan's ${kib(FREE_PLAN_GZIP_LIMIT)} (${((100 * size.gzipSize) / FREE_PLAN_GZIP_LIMIT).toFixed(1)}%)`,
    ...size.wasm.map((w) => `  wasm ${w.file}: ${kib(w.size)}, gzip ${kib(w.gzipSize)}`),
    "  JavaScript by origin (minified bytes):",
    ...size.javascript.slice(0, 12).map((j) => `    ${kib(j.bytes).padStart(10)}  ${j.origin}`),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const size = await buildWorker({ outdir: join(ROOT, "dist/worker") });
  console.log(`dist/worker: ${report(size)}`);
  if (size.gzipSize > FREE_PLAN_GZIP_LIMIT) {
    console.error("the Worker is over the free plan's limit");
    process.exit(1);
  }
}
