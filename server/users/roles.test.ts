import { describe, expect, it } from "vitest";
import { isRole, roleAllows, roles } from "./roles";

describe("roleAllows", () => {
  it("lets each role do what the roles below it may do, and nothing above", () => {
    expect(roleAllows("admin", "reviewer")).toBe(true);
    expect(roleAllows("admin", "annotator")).toBe(true);
    expect(roleAllows("reviewer", "annotator")).toBe(true);
    expect(roleAllows("reviewer", "admin")).toBe(false);
    expect(roleAllows("annotator", "reviewer")).toBe(false);
    for (const r of roles) expect(roleAllows(r, r)).toBe(true);
  });

  it("recognises only the three roles", () => {
    expect(roles.every(isRole)).toBe(true);
    expect(isRole("superuser")).toBe(false);
    expect(isRole(undefined)).toBe(false);
  });
});
