import { mkdirSync, writeFileSync, renameSync, openSync, writeSync, closeSync, statSync, rmSync, existsSync } from "node:fs";
import { mkdir, open, rename, stat, writeFile } from "node:fs/promises";
const data = new Uint8Array(2888).fill(7);
const N = 10000;
function cpu() { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
async function run(name: string, fn: (dir: string, i: number) => Promise<void> | void, conc = 1) {
  const dir = `/tmp/ib/fsb-${name}`;
  rmSync(dir, { recursive: true, force: true }); mkdirSync(dir, { recursive: true });
  const t = performance.now(); const c = cpu();
  let next = 0;
  await Promise.all(Array.from({ length: conc }, async () => { while (next < N) { const i = next++; await fn(dir, i); } }));
  const u = process.cpuUsage();
  console.log(`${name} conc ${conc}: ${((performance.now() - t) / N * 1000).toFixed(1)} us/file wall, ${((cpu() - c) / N * 1000).toFixed(1)} us cpu (user+sys of process)`);
  rmSync(dir, { recursive: true, force: true });
}
const asyncPut = (sync: boolean) => async (dir: string, i: number) => {
  await mkdir(dir, { recursive: true });
  const temp = `${dir}/.tmp-${crypto.randomUUID()}`;
  const f = await open(temp, "wx");
  try { await f.writeFile(data); if (sync) await f.sync(); } finally { await f.close(); }
  await rename(temp, `${dir}/${i}.jpg`);
};
const syncPut = (dir: string, i: number) => {
  mkdirSync(dir, { recursive: true });
  const temp = `${dir}/.tmp-${crypto.randomUUID()}`;
  const fd = openSync(temp, "wx");
  try { writeSync(fd, data); } finally { closeSync(fd); }
  renameSync(temp, `${dir}/${i}.jpg`);
};
const bunPut = async (dir: string, i: number) => {
  const temp = `${dir}/.tmp-${crypto.randomUUID()}`;
  await Bun.write(temp, data);
  await rename(temp, `${dir}/${i}.jpg`);
};
const existsAsync = async (dir: string, i: number) => { try { await stat(`${dir}/${i}.jpg`); } catch {} };
const existsSync2 = (dir: string, i: number) => { existsSync(`${dir}/${i}.jpg`); };
for (const conc of [1, 16, 200]) {
  await run("async-nosync", asyncPut(false), conc);
  await run("async-fsync", asyncPut(true), conc);
  await run("bunwrite+rename", bunPut, conc);
  await run("stat-missing-async", existsAsync, conc);
}
await run("sync-nofsync", syncPut, 1);
await run("existsSync-missing", existsSync2, 1);
