// Imports, snapshots, runs and their cancels, and loop steps leave audit rows that admins can filter.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZExportRequest } from "../export/filter";
import { createSnapshot } from "../export/snapshots";
import { importJsonl } from "../import/service";
import { cancelJob, enqueue } from "../jobs/service";
import { createBoss } from "../queue";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { listAudit } from "./list";

async function* lines(rows: unknown[]) {
  yield rows.map((r) => JSON.stringify(r)).join("\n");
}

describe("audit log", () => {
  let deps: TestDeps;
  let boss: ReturnType<typeof createBoss>;
  beforeAll(async () => {
    deps = createTestDeps();
    boss = createBoss(deps.databaseUrl, "audit-test");
    await boss.start();
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  it("records imports, snapshots, queued and cancelled runs, and lists them by who, what and project", async () => {
    const [admin, other] = await Promise.all([createUser(deps, "admin"), createUser(deps, "admin")]);
    const project = await deps.db.project.create({ data: { name: `audit-${admin.id}`, k: 2 } });
    const rows = [{ prompt: "q1", responses: ["a", "b"] }, { prompt: "q2", responses: ["c", "d"] }];
    await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: lines(rows), strict: true, filename: "two.jsonl", createdById: admin.id });
    await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: lines([{ prompt: "q3", responses: ["only one"] }]), strict: true, filename: "bad.jsonl", createdById: admin.id });
    const artifactDir = await mkdtemp(path.join(tmpdir(), "audit-"));
    const snapshot = await createSnapshot(deps.db, { projectId: project.id, request: ZExportRequest.parse({ format: "rankings" }), artifactDir, createdById: admin.id });
    const job = await enqueue({ db: deps.db, boss }, "ping", { message: "hello" }, { createdById: other.id });
    await cancelJob(deps.db, job.id, { userId: admin.id });

    const mine = await listAudit(deps.db, { actorId: admin.id });
    expect(mine.rows.slice(0, 4).map((r) => [r.action, r.target])).toEqual([
      ["job.cancel", `job:${job.id}`],
      ["snapshot.create", `snapshot:${snapshot.id}`],
      ["import.refuse", expect.stringMatching(/^import:/)],
      ["import.commit", expect.stringMatching(/^import:/)],
    ]);
    const commit = mine.rows.find((r) => r.action === "import.commit")!;
    expect(commit).toMatchObject({ projectId: project.id, projectName: project.name, actor: { email: admin.email }, after: { filename: "two.jsonl", imported: 2 } });
    expect(mine.rows.find((r) => r.action === "snapshot.create")).toMatchObject({ projectId: project.id, after: { format: "rankings", sha256: snapshot.sha256 } });

    const jobs = await listAudit(deps.db, { action: "job." });
    expect(jobs.rows.filter((r) => r.target === `job:${job.id}`).map((r) => [r.action, r.actor?.email])).toEqual([
      ["job.cancel", admin.email],
      ["job.queue", other.email],
    ]);
    const inProject = await listAudit(deps.db, { projectId: project.id });
    expect(inProject.rows.map((r) => r.action).toSorted()).toEqual(["import.commit", "import.refuse", "snapshot.create"]);

    // Paging goes back in time without repeating a row.
    const first = await listAudit(deps.db, { projectId: project.id, limit: 2 });
    const second = await listAudit(deps.db, { projectId: project.id, limit: 2, before: first.next! });
    expect([...first.rows, ...second.rows].map((r) => r.id)).toEqual(inProject.rows.map((r) => r.id));

    // Admins read it through the API; the filter's values are checked.
    const caller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    expect((await caller.audit.list({ projectId: project.id })).rows).toHaveLength(3);
    await expect(caller.audit.list({ projectId: "not-a-uuid" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
