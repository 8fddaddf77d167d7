// What the feedback redactor takes out, and what it puts in its place (redact.ts does the work).
export const piiKinds = ["email", "card", "account", "phone", "address", "name"] as const;
export type PiiKind = (typeof piiKinds)[number];
export type RedactionCounts = Partial<Record<PiiKind, number>>;

export const placeholders: Record<PiiKind, string> = {
  email: "[EMAIL]",
  card: "[CARD]",
  account: "[ACCOUNT]",
  phone: "[PHONE]",
  address: "[ADDRESS]",
  name: "[NAME]",
};
