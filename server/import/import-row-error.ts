import type { z } from "zod";

/** A row that cannot be imported; the message is shown to the person who uploaded the file. */
export class ImportRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportRowError";
  }
}

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

// A branch of a union that failed only because the value has another type altogether.
function isTypeMismatch(issue: Issue | undefined): issue is z.core.$ZodIssueInvalidType {
  return issue?.code === "invalid_type" && issue.path.length === 0;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

// Zod's default messages ("Invalid input: expected string, received number") are written for
// developers; uploaders get the short form. Messages set on a schema still take precedence.
const shortMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "missing";
      return `expected ${issue.expected}, got ${kindOf(issue.input)}`;
    case "invalid_value":
      return `expected one of ${issue.values.map(String).join(", ")}`;
    case "invalid_union": {
      if (issue.input === undefined) return "missing";
      const expected = issue.errors.map((branch) =>
        branch.length === 1 && isTypeMismatch(branch[0]) ? branch[0].expected : null,
      );
      if (expected.some((e) => e === null)) return undefined;
      return `expected ${expected.join(" or ")}, got ${kindOf(issue.input)}`;
    }
    case "too_small":
      if (issue.origin === "array") return `expected at least ${issue.minimum} items`;
      if (issue.origin === "string") return `expected at least ${issue.minimum} characters`;
      return `expected at least ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `expected at most ${issue.maximum} items`;
      if (issue.origin === "string") return `expected at most ${issue.maximum} characters`;
      return `expected at most ${issue.maximum}`;
    default:
      return undefined;
  }
};

export function formatPath(path: readonly PathKey[]): string {
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
    .join("");
}

/**
 * A union error names every branch; when the value's type picked one branch (an array for
 * `string | Message[]`), the useful issue is inside that branch.
 */
function innermost(issue: Issue, prefix: readonly PathKey[]): { path: PathKey[]; message: string } {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union") {
    const matching = issue.errors.filter((branch) => !(branch.length === 1 && isTypeMismatch(branch[0])));
    const inner = matching.length === 1 ? matching[0]?.[0] : undefined;
    if (inner !== undefined) return innermost(inner, path);
  }
  return { path, message: issue.message };
}

/** One short sentence for a failed parse: the first problem, with where it is. */
export function describeZodError(error: z.ZodError): string {
  const [first] = error.issues;
  if (first === undefined) return "invalid row";
  const { path, message } = innermost(first, []);
  const where = formatPath(path);
  return where === "" ? message : `${where}: ${message}`;
}

/** Parses a row with short messages, throwing ImportRowError on the first problem. */
export function parseRow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value, { error: shortMessages });
  if (!result.success) throw new ImportRowError(describeZodError(result.error));
  return result.data;
}
