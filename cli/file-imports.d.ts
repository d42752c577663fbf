/**
 * `import path from "x.wasm" with { type: "file" }`: Bun gives the file's path (inside the compiled binary, a path
 * into its embedded files), which cli/photon.ts reads and compiles.
 */
declare module "*.wasm" {
  const path: string;
  export default path;
}
