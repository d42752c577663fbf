/**
 * Ctrl-C and SIGTERM: the first asks the running work to stop cleanly (a crawl marks its job cancelled); a second
 * one exits at once.
 */
export function onInterrupt(stop: () => void): () => void {
  let asked = false;
  const handler = (signal: NodeJS.Signals) => {
    if (asked) process.exit(signal === "SIGINT" ? 130 : 143);
    asked = true;
    process.stderr.write(`\n${signal}: stopping (again to quit at once)\n`);
    stop();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
