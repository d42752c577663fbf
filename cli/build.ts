/**
 * Builds dist/dscraper, a single executable that runs from any folder with no node_modules beside it.
 *
 * The trap: libsql picks its native addon at run time with `require(\`@libsql/${target}\`)`, which the bundler
 * cannot follow, so the addon would be left out and the binary would fail with "Cannot find module
 * '@libsql/linux-x64-gnu'". The plugin below rewrites that line into a static require of this platform's
 * `index.node`, which `bun build --compile` then embeds.
 *
 * The worker threads' entries (cli/image-worker.ts, cli/extract-worker.ts) are entry points of their own: `bun
 * build --compile` does not follow `new Worker(url)`, and a worker file left out would be looked for on disk beside
 * the binary.
 */
import type { BunPlugin } from "bun";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

function nativeTarget(): string {
  const { platform, arch } = process;
  if (platform === "linux") {
    const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? "gnu" : "musl"}`;
  }
  return `${platform}-${arch}`;
}

export function embedLibsqlNative(target = nativeTarget()): BunPlugin {
  const addon = join(ROOT, "node_modules/@libsql", target, "index.node");
  return {
    name: "embed-libsql-native",
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, (args) => {
        if (!existsSync(addon)) throw new Error(`libsql native addon for ${target} not found at ${addon}`);
        const source = readFileSync(args.path, "utf8");
        const rewritten = source.replace("return require(`@libsql/${target}`);", `return require(${JSON.stringify(addon)});`);
        if (rewritten === source) throw new Error("libsql's loader changed: cannot embed its native addon (see cli/build.ts)");
        return { contents: rewritten, loader: "js" };
      });
    },
  };
}

export async function build(outfile = join(ROOT, "dist/dscraper")): Promise<string> {
  const result = await Bun.build({
    entrypoints: [join(ROOT, "cli/main.ts"), join(ROOT, "cli/image-worker.ts"), join(ROOT, "cli/extract-worker.ts")],
    compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
    minify: true,
    sourcemap: "none",
    plugins: [embedLibsqlNative()],
  });
  if (!result.success) throw new AggregateError(result.logs, "build failed");
  return outfile;
}

if (import.meta.main) {
  const out = await build();
  console.log(`built ${out}`);
}
