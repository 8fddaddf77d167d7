import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importJsonl } from "../import/service";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";

async function* lines(rows: unknown[]) {
  yield rows.map((r) => JSON.stringify(r)).join("\n");
}

async function makeProject(deps: TestDeps) {
  const project = await deps.db.project.create({ data: { name: `members-${randomUUID()}`, k: 2, overlap: 2 } });
  const rows = [0, 1, 2].map((i) => ({ prompt: `Question ${i} ${project.id}`, responses: [`First answer ${i}`, `Second answer ${i}`] }));
  await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: lines(rows), strict: true, filename: null, createdById: null });
  return project;
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : Promise.reject(e)),
  );

type Caller = Awaited<ReturnType<typeof callerFor>>;

async function signedIn(deps: TestDeps, role: "annotator" | "reviewer" | "admin") {
  const user = await createUser(deps, role);
  return { user, caller: await callerFor(deps, await signIn(deps, user.email, user.password)) };
}

/** Labels one task through the API, ranking the responses in the order shown. */
async function labelOne(caller: Caller, projectId: string) {
  const view = await caller.annotation.next({ projectId });
  if (!view) throw new Error("no task left");
  const ids = view.responses.map((r) => r.id);
  const { result } = await caller.annotation.submit({
    assignmentId: view.assignmentId,
    idempotencyKey: randomUUID(),
    labels: { ranking: { groups: ids.map((id) => [id]), strengths: ["clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
    timeSpentMs: 1000,
  });
  return result.annotationId;
}

describe("project membership", () => {
  let deps: TestDeps;
  let admin: Awaited<ReturnType<typeof signedIn>>;
  beforeAll(async () => {
    deps = createTestDeps();
    admin = await signedIn(deps, "admin");
  });
  afterAll(() => deps.db.$disconnect());

  it("an annotator sees and leases only the projects they are a member of", async () => {
    const [mine, theirs] = [await makeProject(deps), await makeProject(deps)];
    const annotator = await signedIn(deps, "annotator");
    await admin.caller.projects.addMembers({ projectId: mine.id, userIds: [annotator.user.id] });

    const queue = (await annotator.caller.projects.list()).map((p) => p.id);
    expect(queue).toContain(mine.id);
    expect(queue).not.toContain(theirs.id);

    await expect(annotator.caller.annotation.next({ projectId: theirs.id })).rejects.toThrow("You are not a member of this project");
    expect(await deps.db.assignment.count({ where: { annotatorId: annotator.user.id, task: { projectId: theirs.id } } })).toBe(0);
    expect(await annotator.caller.annotation.next({ projectId: mine.id })).not.toBeNull();
  });

  it("a reviewer reviews and reads dashboards of their projects only; admins of every project", async () => {
    const [mine, theirs] = [await makeProject(deps), await makeProject(deps)];
    const [annotator, reviewer] = [await signedIn(deps, "annotator"), await signedIn(deps, "reviewer")];
    await admin.caller.projects.addMembers({ projectId: mine.id, userIds: [annotator.user.id, reviewer.user.id] });
    await admin.caller.projects.addMembers({ projectId: theirs.id, userIds: [annotator.user.id] });
    const inMine = await labelOne(annotator.caller, mine.id);
    const inTheirs = await labelOne(annotator.caller, theirs.id);

    const own = { projectId: mine.id };
    const other = { projectId: theirs.id };
    const exportRequest = { format: "pairs" as const };
    const checks: [string, (c: Caller, p: { projectId: string }, annotationId: string) => Promise<unknown>][] = [
      ["projects.get", (c, p) => c.projects.get(p)],
      ["projects.dashboard", (c, p) => c.projects.dashboard(p)],
      ["projects.quality", (c, p) => c.projects.quality(p)],
      ["review.list", (c, p) => c.review.list(p)],
      ["review.get", (c, _p, id) => c.review.get({ annotationId: id })],
      ["exports.count", (c, p) => c.exports.count({ ...p, request: exportRequest })],
      ["exports.snapshots", (c, p) => c.exports.snapshots(p)],
    ];
    for (const [name, call] of checks) {
      expect(`${name}: ${await codeOf(call(reviewer.caller, own, inMine))}`).toBe(`${name}: ok`);
      expect(`${name}: ${await codeOf(call(reviewer.caller, other, inTheirs))}`).toBe(`${name}: FORBIDDEN`);
      expect(`${name} (admin): ${await codeOf(call(admin.caller, other, inTheirs))}`).toBe(`${name} (admin): ok`);
    }
    // Decisions on another project's labels are refused and change nothing.
    expect(await codeOf(reviewer.caller.review.accept({ annotationId: inTheirs }))).toBe("FORBIDDEN");
    expect(await codeOf(reviewer.caller.review.reject({ annotationId: inTheirs, reason: "no" }))).toBe("FORBIDDEN");
    expect((await deps.db.annotation.findUniqueOrThrow({ where: { id: inTheirs } })).reviewState).toBe("pending");
    expect(await codeOf(reviewer.caller.review.accept({ annotationId: inMine }))).toBe("ok");

    // Lists without a project name only the reviewer's projects.
    const all = (await reviewer.caller.projects.all()).map((p) => p.id);
    expect(all).toEqual([mine.id]);
    const reviewable = await reviewer.caller.review.list({ annotatorId: annotator.user.id });
    expect(reviewable.rows.map((r) => r.id)).toEqual([inMine]);
    expect((await admin.caller.review.list({ annotatorId: annotator.user.id })).total).toBe(2);
  });

  it("removing a member hands their live lease back and is audited; adding checks who", async () => {
    const project = await makeProject(deps);
    const annotator = await signedIn(deps, "annotator");
    const anotherAdmin = await createUser(deps, "admin");
    await expect(admin.caller.projects.addMembers({ projectId: project.id, userIds: [anotherAdmin.id] })).rejects.toThrow("Admins work on every project");
    await expect(admin.caller.projects.addMembers({ projectId: project.id, userIds: ["no-such-user"] })).rejects.toThrow("No user with id no-such-user");
    expect(await deps.db.projectMember.count({ where: { projectId: project.id } })).toBe(0);

    expect(await admin.caller.projects.addMembers({ projectId: project.id, userIds: [annotator.user.id] })).toEqual({ added: 1 });
    expect(await admin.caller.projects.addMembers({ projectId: project.id, userIds: [annotator.user.id] })).toEqual({ added: 0 });
    expect((await admin.caller.projects.members({ projectId: project.id })).map((m) => m.email)).toEqual([annotator.user.email]);
    const view = await annotator.caller.annotation.next({ projectId: project.id });
    expect(view).not.toBeNull();

    expect(await admin.caller.projects.removeMember({ projectId: project.id, userId: annotator.user.id })).toEqual({ removed: true, leasesReleased: 1 });
    expect((await deps.db.assignment.findUniqueOrThrow({ where: { id: view!.assignmentId } })).state).toBe("expired");
    await expect(annotator.caller.annotation.next({ projectId: project.id })).rejects.toThrow("not a member");
    expect((await annotator.caller.projects.list()).map((p) => p.id)).not.toContain(project.id);
    const actions = await deps.db.auditLog.findMany({ where: { projectId: project.id, action: { startsWith: "project.members." } }, orderBy: { id: "asc" }, select: { action: true, actorId: true } });
    expect(actions).toEqual([
      { action: "project.members.add", actorId: admin.user.id },
      { action: "project.members.remove", actorId: admin.user.id },
    ]);
    await expect(admin.caller.projects.removeMember({ projectId: project.id, userId: annotator.user.id })).rejects.toThrow("not a member");
  });

  it("an invite can name the projects; an admin's invite cannot", async () => {
    const project = await makeProject(deps);
    const invited = await admin.caller.users.invite({ email: `new-${randomUUID().slice(0, 8)}@test.example`, name: "New", role: "annotator", projectIds: [project.id] });
    expect(await deps.db.projectMember.count({ where: { projectId: project.id, userId: invited.user.id } })).toBe(1);
    const email = `boss-${randomUUID().slice(0, 8)}@test.example`;
    await expect(admin.caller.users.invite({ email, name: "Boss", role: "admin", projectIds: [project.id] })).rejects.toThrow("Admins work on every project");
    await expect(admin.caller.users.invite({ email, name: "Boss", role: "reviewer", projectIds: [randomUUID()] })).rejects.toThrow("does not exist");
    expect(await deps.db.user.count({ where: { email } })).toBe(0);
  });
});
