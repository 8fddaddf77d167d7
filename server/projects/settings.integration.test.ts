import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { nextAssignment } from "../annotation/service";
import { importJsonl } from "../import/service";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { createProject, setProjectArchived, updateProject } from "./settings";

describe("project settings", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("admins create projects through the API; bad settings get a message and create nothing", async () => {
    const admin = await createUser(deps, "admin");
    const caller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    const name = `Campaign ${randomUUID()}`;
    const created = await caller.projects.create({ name, k: 3, overlap: 2, guidelines: "# Be kind", harmTaxonomy: ["privacy", "other"] });
    expect(created).toMatchObject({ name, k: 3, overlap: 2, mode: "rank", guidelinesVersion: 1, harmTaxonomy: ["privacy", "other"] });
    expect(await deps.db.auditLog.count({ where: { target: `project:${created.id}`, action: "project.create" } })).toBe(1);

    for (const [input, message] of [
      [{ name, k: 3 }, `A project named "${name}" already exists`],
      [{ name: `${name} 2`, k: 1 }, "K must be at least 2"],
      [{ name: `${name} 3`, mode: "pairwise", k: 4 }, "Pairwise projects show exactly 2 responses (K = 2)"],
      [{ name: `${name} 4`, goldRate: 2 }, "The gold rate is a fraction between 0 and 1"],
      [{ name: "" }, "Name is required"],
    ] as const) {
      const err = await caller.projects.create(input as never).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect(["BAD_REQUEST", "CONFLICT"]).toContain((err as TRPCError).code);
      expect((err as TRPCError).message).toContain(message);
    }
    expect(await deps.db.project.count({ where: { name: { startsWith: name } } })).toBe(1);
  });

  it("editing bumps the guidelines version, refuses to reshape a project with tasks, and is audited", async () => {
    const admin = await createUser(deps, "admin");
    const project = await createProject(deps.db, { name: `Edit ${randomUUID()}`, k: 2 }, admin.id);
    const edited = await updateProject(deps.db, { projectId: project.id, changes: { guidelines: "New rules", overlap: 3 } }, admin.id);
    expect(edited).toMatchObject({ guidelinesVersion: 2, overlap: 3 });
    const same = await updateProject(deps.db, { projectId: project.id, changes: { guidelines: "New rules" } }, admin.id);
    expect(same.guidelinesVersion).toBe(2);
    const log = await deps.db.auditLog.findFirstOrThrow({ where: { target: `project:${project.id}`, action: "project.update" }, orderBy: { id: "asc" } });
    expect(log.before).toEqual({ guidelines: "", overlap: 1 });
    expect(log.after).toEqual({ guidelines: "New rules", overlap: 3 });

    await importJsonl(deps.db, {
      projectId: project.id,
      layout: "tasks",
      chunks: (async function* () {
        yield JSON.stringify({ prompt: `q ${project.id}`, responses: ["a", "b"] });
      })(),
      strict: true,
      filename: null,
      createdById: null,
    });
    await expect(updateProject(deps.db, { projectId: project.id, changes: { k: 4 } }, admin.id)).rejects.toThrow("K and the mode cannot change once the project has tasks");
  });

  it("archiving releases live leases and stops handing out work", async () => {
    const [admin, annotator] = await Promise.all([createUser(deps, "admin"), createUser(deps, "annotator")]);
    const project = await createProject(deps.db, { name: `Archive ${randomUUID()}`, k: 2, overlap: 1 }, admin.id);
    await importJsonl(deps.db, {
      projectId: project.id,
      layout: "tasks",
      chunks: (async function* () {
        yield [1, 2].map((i) => JSON.stringify({ prompt: `q${i} ${project.id}`, responses: ["a", "b"] })).join("\n");
      })(),
      strict: true,
      filename: null,
      createdById: null,
    });
    const lease = await nextAssignment(deps.db, { projectId: project.id, annotatorId: annotator.id });
    await setProjectArchived(deps.db, { projectId: project.id, archived: true }, admin.id);
    expect((await deps.db.assignment.findUniqueOrThrow({ where: { id: lease!.assignmentId } })).state).toBe("expired");
    await expect(nextAssignment(deps.db, { projectId: project.id, annotatorId: annotator.id })).rejects.toThrow(/No active project/);
    await setProjectArchived(deps.db, { projectId: project.id, archived: false }, admin.id);
    expect(await nextAssignment(deps.db, { projectId: project.id, annotatorId: annotator.id })).not.toBeNull();
  });
});
