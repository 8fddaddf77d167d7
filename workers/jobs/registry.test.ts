import { describe, expect, it } from "vitest";
import { jobKinds } from "../../server/jobs/kinds";
import { jobHandlers } from "./registry";

describe("job handlers", () => {
  it("has exactly one handler for every job kind, and none for a kind the server does not know", () => {
    expect(Object.keys(jobHandlers).toSorted()).toEqual(Object.keys(jobKinds).toSorted());
    for (const handler of Object.values(jobHandlers)) expect(handler).toBeTypeOf("function");
  });
});
