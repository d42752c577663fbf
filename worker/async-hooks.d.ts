/**
 * The one Node.js module the Worker uses, `node:async_hooks` (workerd provides it under `nodejs_compat`): typed
 * here, as far as it is used, because the Worker's typecheck has no Node types (as src/ has none).
 */
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
