/**
 * bench/api: the ceiling. A plain Bun.serve on 127.0.0.1:PORT answering fixed JSON bodies of the sizes given
 * (the same sizes as the routes measured): GET /0 is a body of SIZE0 bytes, /1 of SIZE1, … No routing library,
 * no middleware, no database. Usage: bun bench/api/plain.ts PORT SIZE0 [SIZE1 …]
 */
const [port, ...sizes] = process.argv.slice(2).map(Number);
const bodies = sizes.map((size) => {
  const head = '{"items":[],"pad":"';
  const tail = '"}';
  return head + "x".repeat(Math.max(0, size! - head.length - tail.length)) + tail;
});
Bun.serve({
  hostname: "127.0.0.1",
  port: port!,
  fetch(request) {
    const body = bodies[Number(new URL(request.url).pathname.slice(1))];
    return body === undefined ? new Response("not found", { status: 404 }) : new Response(body, { headers: { "content-type": "application/json" } });
  },
});
console.log(`plain on ${port}: ${sizes.join(", ")} bytes`);
