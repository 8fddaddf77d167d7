import { describe, expect, it } from "vitest";
import { checkProjectSettings, serverFieldErrors } from "./project-settings-fields";

describe("project settings checks", () => {
  it("words the simple rules for the field they belong to", () => {
    expect(checkProjectSettings({ name: "  ", k: 1, overlap: 0.5, goldRate: 2, goldThreshold: 0.5, leaseMinutes: Number.NaN, harmTaxonomy: [] })).toEqual({
      name: "Give the project a name.",
      k: "K must be a whole number between 2 and 16.",
      overlap: "The overlap must be a whole number between 1 and 50.",
      goldRate: "The gold rate must be between 0 and 1.",
      leaseMinutes: "The lease must be a number.",
      harmTaxonomy: "List at least one harm category.",
    });
    expect(checkProjectSettings({ name: "Fine", k: 4, overlap: 2 })).toEqual({});
  });

  it("takes the server's field errors by field name, whatever the input nests them under", () => {
    expect(serverFieldErrors({ fieldErrors: { "changes.name": "Name is required", "changes.rewardTable.allowed.A": "Too big" } })).toEqual({ name: "Name is required", rewardTable: "Too big" });
    expect(serverFieldErrors(undefined)).toEqual({});
  });
});
