import { describe, expect, it } from "vitest";
import { jobKinds } from "../jobs/kinds";
import { runKinds } from "./run-kinds";

describe("runKinds", () => {
  it("lists every job kind but the health-check ping, so every run shows under Runs and has a page", () => {
    expect([...runKinds].sort()).toEqual(Object.keys(jobKinds).filter((k) => k !== "ping").sort());
  });
});
