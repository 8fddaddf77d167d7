/**
 * A one-line plain-text preview of a markdown response: code fences, headings, list markers,
 * emphasis and link syntax go, identifiers such as `reverse_list(head)` stay readable.
 */
export function excerpt(content: string, length = 140): string {
  const text = content
    .replace(/```[\w+-]*/g, " ")
    .replace(/^[ \t]{0,3}(#{1,6}|>|[-*+]|\d+[.)])[ \t]+/gm, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/(\*\*|__|~~|`)/g, "")
    .replace(/(^|\s)[*_](\S[^*_]*\S|\S)[*_](?=\s|$|[.,;:!?])/g, "$1$2")
    .replace(/\s+/g, " ")
    .trim();
  if (!text) return "(empty response)";
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
