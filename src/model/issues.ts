/**
 * @module
 * zod's issues in the shape every dscraper error uses: a bracket path and a message a person understands. Kept
 * apart from the definition schemas so that anything validated with zod can use it without loading them.
 */
import type { z } from "zod";
import { formatPath, type Issue } from "../errors.ts";

/** "is required" reads better than zod's "expected string, received undefined". */
export function requiredMessage(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.input === undefined && issue.code !== "custom" ? "is required" : undefined;
}

/** zod's issues in our shape; an unknown key is reported at its own path so the user sees which field is wrong. */
export function zodIssues(issues: readonly z.core.$ZodIssue[]): Issue[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: "unknown field" }));
    }
    // A record key that fails its rule: zod keeps the rule's own message inside.
    if (issue.code === "invalid_key" && issue.issues[0]) return [{ path: formatPath(issue.path), message: issue.issues[0].message }];
    return [{ path: formatPath(issue.path), message: issue.message }];
  });
}
