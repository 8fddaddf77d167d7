// Who may do what: each role includes the ones before it.
export const roles = ["annotator", "reviewer", "admin"] as const;
export type Role = (typeof roles)[number];

/** The access levels a procedure can declare: `public` plus every role. */
export type Access = "public" | Role;

export function roleAllows(userRole: Role, required: Role): boolean {
  return roles.indexOf(userRole) >= roles.indexOf(required);
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (roles as readonly string[]).includes(value);
}
