// Who may do what: each role includes the ones before it.
export const roles = ["annotator", "reviewer", "admin"] as const;
export type Role = (typeof roles)[number];

/** The access levels a procedure can declare: `public`, every role, and `red_teamer`. */
export type Access = "public" | Role | "red_teamer";

/** Who may use what the red-teaming flag opens (the playground, campaigns' attempts). */
export type AccessHolder = { role: Role; redTeamer: boolean };

/**
 * `red_teamer` is not a rung of the role ladder: an annotator with the flag has it, and so does every
 * reviewer and admin (they check models and review attacks); the rest go by role.
 */
export function accessAllows(user: AccessHolder, access: Exclude<Access, "public">): boolean {
  if (access === "red_teamer") return user.redTeamer || roleAllows(user.role, "reviewer");
  return roleAllows(user.role, access);
}

export function roleAllows(userRole: Role, required: Role): boolean {
  return roles.indexOf(userRole) >= roles.indexOf(required);
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (roles as readonly string[]).includes(value);
}
