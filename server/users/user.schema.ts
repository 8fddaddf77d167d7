import { z } from "zod";
import { minPasswordLength } from "../auth";
import { roles } from "./roles";

export const ZRole = z.enum(roles);

export const ZInviteUserInput = z.object({
  email: z.email("Enter a valid email address").transform((e) => e.toLowerCase()),
  name: z.string().trim().min(1, "Name is required").max(100),
  role: ZRole,
  /** When left out, a password is generated and returned once. */
  password: z.string().min(minPasswordLength, `Password must be at least ${minPasswordLength} characters`).max(128).optional(),
  /** Projects an annotator or reviewer joins at once; admins work on every project. */
  projectIds: z.array(z.uuid("projectIds must be UUIDs")).max(500).default([]),
});
export type TInviteUserInput = z.input<typeof ZInviteUserInput>;

export const ZUserIdInput = z.object({ userId: z.string().min(1) });

export const ZSetRoleInput = z.object({ userId: z.string().min(1), role: ZRole });
export const ZSetRedTeamerInput = z.object({ userId: z.string().min(1, "userId is required"), redTeamer: z.boolean("redTeamer is true or false") });

export const ZChangePasswordInput = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password").max(128),
    newPassword: z.string().min(minPasswordLength, `Password must be at least ${minPasswordLength} characters`).max(128),
  })
  .refine((p) => p.newPassword !== p.currentPassword, { message: "Choose a password other than the current one", path: ["newPassword"] });
export type TChangePasswordInput = z.infer<typeof ZChangePasswordInput>;
