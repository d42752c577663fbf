/**
 * @module
 * The one real timer of the fetcher: waits between request starts and between attempts. Tests inject their own
 * sleep and clock (`FetcherOptions`) and so drive the fetcher's time without waiting for it.
 */

/** Resolves after `ms`; rejects with the signal's reason as soon as it fires. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
