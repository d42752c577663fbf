/**
 * @module
 * Two places where linkedom departs from the DOM in ways that break XPath (wicked-good-xpath relies on both).
 * Fixed once, on linkedom's prototypes, when extraction is loaded.
 *
 * 1. An Attr's `nodeValue` and `textContent` must be its value; linkedom answers null, which makes
 *    `string(@href)` "null" and every predicate on an attribute's string value false.
 * 2. `compareDocumentPosition` compares nesting depths instead of document order, so node-sets come back out of
 *    order (`//p/text()` of two paragraphs gives the second first). The replacement numbers a document's nodes
 *    once, in document order, the first time two of its nodes are compared: parsed pages are never mutated.
 */
import { parseHTML } from "linkedom";

const sample = parseHTML("<p a='1'></p>").document;
const attrPrototype: object = Object.getPrototypeOf((sample.querySelector("p") as Element).getAttributeNode("a"));
const nodePrototype = findOwner(attrPrototype, "compareDocumentPosition");

for (const name of ["nodeValue", "textContent"]) {
  Object.defineProperty(attrPrototype, name, {
    configurable: true,
    get(this: Attr) {
      return this.value;
    },
    set(this: Attr, v: string) {
      this.value = v;
    },
  });
}

const DISCONNECTED = 1;
const PRECEDING = 2;
const FOLLOWING = 4;
const CONTAINS = 8;
const CONTAINED_BY = 16;
const IMPLEMENTATION_SPECIFIC = 32;

/**
 * linkedom keeps a document as one linked list of nodes (attributes included) in document order, under a private
 * `next` symbol. Walking it once numbers every node without allocating anything but the numbers.
 */
const NEXT = Object.getOwnPropertySymbols(sample.querySelector("p")!).find((s) => s.description === "next");
if (NEXT === undefined) throw new Error("linkedom changed: its nodes no longer link to the next node");
const ORDER = Symbol("document order");
const NUMBERED = Symbol("numbered");

type Linked = Node & { [key: symbol]: unknown };

function parentOf(node: Node): Node | null {
  return node.parentNode ?? (node as Attr).ownerElement ?? null;
}

function rootOf(node: Node): Node {
  let n = node;
  for (let p = parentOf(n); p; p = parentOf(n)) n = p;
  return n;
}

function isAncestor(ancestor: Node, node: Node): boolean {
  for (let p = parentOf(node); p; p = parentOf(p)) if (p === ancestor) return true;
  return false;
}

function orderOf(root: Linked, node: Linked): number {
  if (!root[NUMBERED]) {
    let i = 0;
    for (let n: Linked | null = root; n; n = n[NEXT!] as Linked | null) n[ORDER] = i++;
    root[NUMBERED] = true;
  }
  return (node[ORDER] as number | undefined) ?? 0;
}

Object.defineProperty(nodePrototype, "compareDocumentPosition", {
  configurable: true,
  writable: true,
  value(this: Node, other: Node): number {
    if (this === other) return 0;
    const root = rootOf(this);
    if (root !== rootOf(other)) return DISCONNECTED | IMPLEMENTATION_SPECIFIC | PRECEDING;
    if (isAncestor(this, other)) return CONTAINED_BY | FOLLOWING;
    if (isAncestor(other, this)) return CONTAINS | PRECEDING;
    return orderOf(root as Linked, this as Linked) < orderOf(root as Linked, other as Linked) ? FOLLOWING : PRECEDING;
  },
});

function findOwner(start: object, property: string): object {
  for (let p: object | null = start; p; p = Object.getPrototypeOf(p)) if (Object.hasOwn(p, property)) return p;
  throw new Error(`linkedom changed: no ${property} on its node prototypes`);
}
