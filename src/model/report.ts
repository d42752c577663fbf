/**
 * @module
 * Checks across fields report through this callback, so one check serves a zod refinement (one definition on
 * its own) and the bundle's cross-reference pass (paths prefixed with the definition's place in the bundle).
 */
export type Report = (path: PropertyKey[], message: string) => void;

export function prefixed(report: Report, prefix: PropertyKey[]): Report {
  return (path, message) => report([...prefix, ...path], message);
}
