/**
 * @module
 * One HTTP request's budget in the Worker. The app is built once per isolate and its ports (the database client,
 * R2, the fetcher) are shared by all the requests the isolate serves at once; Cloudflare counts subrequests per
 * request, though. So each request runs inside a scope (an AsyncLocalStorage, which follows the request's own
 * promises), and every subrequest a shared port makes is counted against the budget of the request it was made
 * for ({@link counted}).
 *
 * The budget is `DSCRAPER_SUBREQUEST_BUDGET`, as for a queue invocation. When a request would cross it, the
 * subrequest is refused with an UnavailableError (503) that says so and what to do, and the budget's reserve opens
 * for what must still happen: a transaction's rollback, the host releases written at the end.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { UnavailableError } from "../src/errors.ts";
import { Budget, type SubrequestKind } from "./budget.ts";
import type { HostGate } from "./politeness.ts";

/** Held back for a refused request's clean-up: a rollback, the host releases. */
export const REQUEST_RESERVE = 2;

export interface RequestScope {
  budget: Budget;
  /** The request's host gate, made on its first page fetch (`worker/app.ts`). */
  gate?: HostGate;
  /** The first subrequest refused, if any. */
  refused?: SubrequestKind;
}

const scopes = new AsyncLocalStorage<RequestScope>();

export function requestBudget(limit: number): Budget {
  return new Budget(limit, Math.min(REQUEST_RESERVE, limit - 1), Number.POSITIVE_INFINITY);
}

/** Runs `handle` (the request) inside `scope`. */
export function inRequest<T>(scope: RequestScope, handle: () => Promise<T>): Promise<T> {
  return scopes.run(scope, handle);
}

export function currentRequest(): RequestScope | undefined {
  return scopes.getStore();
}

/** The refusal: a 503 naming the budget, the subrequest refused and the ways out. */
export class OverBudgetError extends UnavailableError {
  constructor(limit: number, kind: SubrequestKind) {
    super(
      `this request needs more subrequests than the ${limit} one Worker invocation may make (DSCRAPER_SUBREQUEST_BUDGET; a ${kind} subrequest was refused, ` +
        `and a transaction it cut short was rolled back): do it with the dscraper binary against the same database (--db libsql://…), or in smaller parts, or raise the budget on the paid plan`,
    );
    this.name = "OverBudgetError";
  }
}

/**
 * Runs one subrequest of `kind` (a database round trip, an R2 call, a page fetch, a queue send), counted against
 * the current request's budget; outside a request (nothing of the app's runs outside one) it is only run.
 */
export async function counted<T>(kind: SubrequestKind, call: () => Promise<T>): Promise<T> {
  const scope = scopes.getStore();
  if (scope === undefined) return call();
  const { budget } = scope;
  if (scope.refused === undefined && budget.left <= 0) {
    scope.refused = kind;
    // The reserve opens for what must still happen: the libSQL client closes a transaction's stream after a failed
    // request (the server rolls it back at once, rather than holding the write lock until the stream expires), and
    // the host releases are written at the end.
    budget.close();
    throw new OverBudgetError(budget.limit, kind);
  }
  if ((scope.refused !== undefined && kind !== "database") || budget.left <= 0) throw new OverBudgetError(budget.limit, kind);
  return budget.call(kind, call);
}
