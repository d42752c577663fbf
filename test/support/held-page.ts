/**
 * A page of a test site that holds each request until the test releases it, and counts the requests whose client
 * gave up meanwhile (the request's signal aborted): how a test sees a crawl stop "at the next request".
 */
import type { Page } from "./site.ts";

export interface HeldPage {
  page: Page;
  /** Requests held now. */
  readonly waiting: number;
  /** Requests whose client aborted while held. */
  readonly aborted: number;
  /** Settles when the first request comes. */
  readonly requested: Promise<void>;
  /** Answers every held request (and every later one) with the page. */
  release(): void;
}

export function heldPage(body: BodyInit, type = "text/html; charset=utf-8"): HeldPage {
  let released = false;
  let waiting: (() => void)[] = [];
  let aborted = 0;
  let asked!: () => void;
  const requested = new Promise<void>((resolve) => (asked = resolve));
  const answer = () => new Response(body, { headers: { "content-type": type } });
  return {
    requested,
    page: (request) => {
      asked();
      if (released) return answer();
      return new Promise<Response>((resolve) => {
        const go = () => resolve(answer());
        waiting.push(go);
        request.signal.addEventListener("abort", () => {
          aborted++;
          waiting = waiting.filter((w) => w !== go);
          resolve(new Response("gone", { status: 499 }));
        });
      });
    },
    get waiting() {
      return waiting.length;
    },
    get aborted() {
      return aborted;
    },
    release() {
      released = true;
      for (const go of waiting.splice(0)) go();
    },
  };
}
