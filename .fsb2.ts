import { mkdirSync, renameSync, openSync, writeSync, closeSync, rmSync, unlinkSync } from "node:fs";
const data = new Uint8Array(2888).fill(7);
const dir = `/tmp/ib/fsb2`; rmSync(dir, { recursive: true, force: true }); mkdirSync(dir, { recursive: true });
const t = { open: 0, write: 0, close: 0, rename: 0, mkdir: 0 };
const N = 5000;
for (let i = 0; i < N; i++) {
  let s = performance.now();
  mkdirSync(dir, { recursive: true }); t.mkdir += performance.now() - s; s = performance.now();
  const temp = `${dir}/.tmp-${crypto.randomUUID()}`;
  const fd = openSync(temp, "wx"); t.open += performance.now() - s; s = performance.now();
  writeSync(fd, data); t.write += performance.now() - s; s = performance.now();
  closeSync(fd); t.close += performance.now() - s; s = performance.now();
  renameSync(temp, `${dir}/${i}.jpg`); t.rename += performance.now() - s;
}
for (const [k, v] of Object.entries(t)) console.log(k, (v / N * 1000).toFixed(1), "us");
// second round: overwrite existing names
const t2 = { open: 0, write: 0, close: 0, rename: 0 };
for (let i = 0; i < N; i++) {
  let s = performance.now();
  const temp = `${dir}/.tmp-${crypto.randomUUID()}`;
  const fd = openSync(temp, "wx"); t2.open += performance.now() - s; s = performance.now();
  writeSync(fd, data); t2.write += performance.now() - s; s = performance.now();
  closeSync(fd); t2.close += performance.now() - s; s = performance.now();
  renameSync(temp, `${dir}/x${i}.jpg`); t2.rename += performance.now() - s;
}
for (const [k, v] of Object.entries(t2)) console.log("r2", k, (v / N * 1000).toFixed(1), "us");
rmSync(dir, { recursive: true, force: true });
// tmpfs comparison
const d3 = "/dev/shm/fsb3"; rmSync(d3, { recursive: true, force: true }); mkdirSync(d3);
let s = performance.now();
for (let i = 0; i < N; i++) { const temp = `${d3}/.tmp-${i}`; const fd = openSync(temp, "wx"); writeSync(fd, data); closeSync(fd); renameSync(temp, `${d3}/${i}.jpg`); }
console.log("shm total per file", ((performance.now() - s) / N * 1000).toFixed(1), "us");
rmSync(d3, { recursive: true, force: true });
