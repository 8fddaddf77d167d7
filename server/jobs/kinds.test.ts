import { describe, expect, it } from "vitest";
import { jobKinds } from "./kinds";

describe("job kinds", () => {
  it("files each kind's contract under its own name", () => {
    for (const [kind, contract] of Object.entries(jobKinds)) expect(contract.name).toBe(kind);
  });
});
