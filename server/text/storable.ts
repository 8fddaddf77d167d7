// The one rule for text crossing into the platform (tRPC inputs, REST query and body, JSONL rows,
// the trainer's output read back): PostgreSQL's text and JSONB cannot hold U+0000, and a UTF-16
// surrogate without its pair is not Unicode. Such text is refused with a 400 (a row error in an
// import) that names the field, never stored in an altered form and never a 500.
import { AppError } from "../errors";

const nul = "\u0000";

/** Why `s` cannot be stored, or null when it can. */
export function unstorableReason(s: string): string | null {
  if (s.includes(nul)) return "contains a NUL character (U+0000), which cannot be stored";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return `contains a lone UTF-16 surrogate (U+${c.toString(16).toUpperCase()}), which is not valid Unicode`;
  }
  return null;
}

export type Unstorable = { path: string; reason: string };

/** The first string (value or object key) in `value` that cannot be stored, with its path. */
export function findUnstorable(value: unknown, path = ""): Unstorable | null {
  if (typeof value === "string") {
    const reason = unstorableReason(value);
    return reason ? { path, reason } : null;
  }
  if (value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], path ? `${path}.${i}` : String(i));
      if (found) return found;
    }
    return null;
  }
  if (value instanceof Date) return null;
  for (const [key, inner] of Object.entries(value)) {
    const keyReason = unstorableReason(key);
    if (keyReason) return { path: path ? `${path} (a key)` : "a key", reason: keyReason };
    const found = findUnstorable(inner, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return null;
}

/** A sentence naming the field: "name: contains a NUL character (U+0000), which cannot be stored". */
export function describeUnstorable({ path, reason }: Unstorable): string {
  return path ? `${path}: ${reason}` : reason;
}

/** Throws a 400 naming the first field of `value` (under `label`) that cannot be stored. */
export function assertStorable(value: unknown, label = ""): void {
  const found = findUnstorable(value, label);
  if (found) throw new AppError("BAD_REQUEST", describeUnstorable(found));
}

/** `s` with each NUL and lone surrogate written as a `\uXXXX` escape, for messages that quote input. */
export function escapeUnstorable(s: string): string {
  return s.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`);
}
