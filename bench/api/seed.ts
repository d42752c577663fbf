/**
 * bench/api: seeds a database with N items of one class and source (default 100,000), the way the pipeline
 * stores them (one multi-row INSERT per batch in a transaction), with created_at one second apart so that the
 * newest-first order is a real order. Usage: bun bench/api/seed.ts DB_URL [N]. The definitions are imported
 * first by the binary (`dscraper import bench/api/bundle.json`), so the schema and the migrations are its own.
 */
import { createClient } from "@libsql/client";

const [url, n = "100000"] = process.argv.slice(2);
if (!url) {
  console.error("usage: bun bench/api/seed.ts DB_URL [N]");
  process.exit(2);
}
const total = Number(n);
const client = createClient({ url });
const ids = await client.execute("SELECT c.id AS class_id, s.id AS source_id FROM sources s JOIN scrapers sc ON sc.id = s.scraper_id JOIN classes c ON c.id = sc.class_id WHERE s.name = 'bench'");
const { class_id: classId, source_id: sourceId } = ids.rows[0]!;
const start = Date.UTC(2024, 0, 1);
const WORDS = "the quick brown fox jumps over a lazy dog while seven bright stars watch silent rivers flow".split(" ");
const BATCH = 500;
for (let from = 0; from < total; from += BATCH) {
  const rows: (string | number | bigint | null)[] = [];
  const count = Math.min(BATCH, total - from);
  for (let i = from; i < from + count; i++) {
    const text = Array.from({ length: 24 }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(" ");
    const data = { text: `“${text}.”`, author: `Author ${i % 500}`, tags: [WORDS[i % WORDS.length], WORDS[(i + 5) % WORDS.length]], url: `http://127.0.0.1:8089/author/a-${i % 500}/` };
    const at = start + i * 1000;
    rows.push(classId as number, sourceId as number, `bench-${i}`, data.url, JSON.stringify(data), at, at, at);
  }
  await client.batch(
    [{ sql: `INSERT INTO items (class_id, source_id, unique_key, url, data, created_at, updated_at, last_seen_at) VALUES ${Array(count).fill("(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`, args: rows }],
    "write",
  );
}
const counted = await client.execute("SELECT count(*) AS n FROM items");
console.log(`seeded ${String(counted.rows[0]!.n)} items`);
client.close();
