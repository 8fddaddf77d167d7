import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { importJsonl } from "../import/service";
import { smollmPolicy } from "../models/builtin-models";
import { ensureBuiltinModels } from "../models/service";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import type { Access } from "../users/roles";
import { appRouter } from "./root";

// Every procedure and the access it must declare. A new procedure fails this test until it is
// listed here, so the boundary is always reviewed.
const declared: Record<string, Access> = {
  "health.check": "public",
  "me.get": "annotator",
  "me.changePassword": "annotator",
  "users.list": "reviewer",
  "users.invite": "admin",
  "users.setRole": "admin",
  "users.setRedTeamer": "admin",
  "users.deactivate": "admin",
  "users.reactivate": "admin",
  "projects.list": "annotator",
  "projects.all": "reviewer",
  "projects.get": "reviewer",
  "projects.create": "admin",
  "projects.update": "admin",
  "projects.archive": "admin",
  "projects.unarchive": "admin",
  "projects.markGold": "admin",
  "projects.dashboard": "reviewer",
  "projects.quality": "reviewer",
  "projects.members": "admin",
  "projects.addMembers": "admin",
  "projects.removeMember": "admin",
  "jobs.list": "admin",
  "jobs.get": "admin",
  "jobs.enqueuePing": "admin",
  "jobs.cancel": "admin",
  "runs.start": "admin",
  "runs.list": "admin",
  "runs.get": "admin",
  "runs.metrics": "admin",
  "models.list": "admin",
  "models.get": "admin",
  "models.promote": "admin",
  "models.gates": "admin",
  "models.evaluateForGates": "admin",
  "models.cost": "admin",
  "evaluation.sets": "admin",
  "evaluation.set": "admin",
  "evaluation.createSet": "admin",
  "evaluation.addPrompts": "admin",
  "evaluation.updatePrompt": "admin",
  "evaluation.removePrompt": "admin",
  "evaluation.forModel": "admin",
  "evaluation.compare": "admin",
  "evaluation.compareSamples": "admin",
  "evaluation.comparable": "admin",
  "evaluation.spotCheck": "admin",
  "evaluation.spotCheckReport": "admin",
  "loop.status": "admin",
  "loop.start": "admin",
  "acquisition.latest": "reviewer",
  "acquisition.setTaskOrder": "admin",
  "forecast.latest": "reviewer",
  "annotation.next": "annotator",
  "annotation.get": "annotator",
  "annotation.submit": "annotator",
  "annotation.skip": "annotator",
  "annotation.report": "annotator",
  "annotation.demonstrate": "annotator",
  "inbox.list": "annotator",
  "inbox.unread": "annotator",
  "inbox.quality": "annotator",
  "inbox.markRead": "annotator",
  "inbox.ask": "annotator",
  "imports.fromText": "admin",
  "imports.list": "admin",
  "review.list": "reviewer",
  "review.get": "reviewer",
  "review.accept": "reviewer",
  "review.reject": "reviewer",
  "review.correct": "reviewer",
  "review.reply": "reviewer",
  "exports.count": "reviewer",
  "exports.snapshots": "reviewer",
  "exports.createSnapshot": "admin",
  "exports.rebuildSnapshot": "admin",
  "apiKeys.list": "admin",
  "apiKeys.create": "admin",
  "apiKeys.revoke": "admin",
  "workers.list": "admin",
  "audit.list": "admin",
  "redTeam.campaigns": "red_teamer",
  "redTeam.myCampaigns": "red_teamer",
  "redTeam.campaign": "red_teamer",
  "redTeam.createCampaign": "admin",
  "redTeam.closeCampaign": "admin",
  "redTeam.recordAttempt": "red_teamer",
  "redTeam.sendOn": "admin",
  "redTeam.replay": "admin",
  "feedback.waiting": "admin",
  "feedback.generateCandidates": "admin",
  "governance.findConversations": "admin",
  "governance.previewDeletion": "admin",
  "governance.deleteConversations": "admin",
  "governance.deletions": "admin",
};

// "red teamer": an annotator with the red-teaming flag.
const callers = ["anonymous", "annotator", "red teamer", "reviewer", "admin"] as const;
type CallerName = (typeof callers)[number];
const rank: Record<CallerName, number> = { anonymous: 0, annotator: 1, "red teamer": 1, reviewer: 2, admin: 3 };
const required: Record<Exclude<Access, "red_teamer">, number> = { public: 0, annotator: 1, reviewer: 2, admin: 3 };

function expected(access: Access, who: CallerName): "allowed" | "UNAUTHORIZED" | "FORBIDDEN" {
  if (access === "red_teamer" ? who === "red teamer" || rank[who] >= required.reviewer : rank[who] >= required[access]) return "allowed";
  return who === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN";
}

type AnyFn = (input?: unknown) => Promise<unknown>;

describe("role boundary matrix", () => {
  let deps: TestDeps;
  const cookies = {} as Record<CallerName, string | null>;

  beforeAll(async () => {
    deps = createTestDeps();
    cookies.anonymous = null;
    for (const role of ["annotator", "reviewer", "admin"] as const) {
      const u = await createUser(deps, role);
      cookies[role] = await signIn(deps, u.email, u.password);
    }
    const redTeamer = await createUser(deps, "annotator");
    await deps.db.user.update({ where: { id: redTeamer.id }, data: { redTeamer: true } });
    cookies["red teamer"] = await signIn(deps, redTeamer.email, redTeamer.password);
  });
  afterAll(() => deps.db.$disconnect());

  it("lists every registered procedure with the access it declares", () => {
    const registered = Object.fromEntries(
      Object.entries(appRouter._def.procedures).map(([path, proc]) => [
        path,
        (proc as unknown as { _def: { meta?: { access?: Access } } })._def.meta?.access,
      ]),
    );
    expect(registered).toEqual(declared);
  });

  for (const [path, access] of Object.entries(declared)) {
    for (const who of callers) {
      const want = expected(access, who);
      it(`${path} as ${who} → ${want}`, async () => {
        const caller = await callerFor(deps, cookies[who]);
        const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as AnyFn;
        // No input: allowed callers reach input validation (BAD_REQUEST) or run a read, never a write.
        const outcome = await fn(undefined).then(
          () => "allowed",
          (err: unknown) => {
            if (!(err instanceof TRPCError)) throw err;
            return err.code === "UNAUTHORIZED" || err.code === "FORBIDDEN" ? err.code : "allowed";
          },
        );
        expect(outcome).toBe(want);
      });
    }
  }
});

// Every procedure below admin works on one project or on the caller's own things. Those on one
// project refuse annotators and reviewers who are not members of it; the rest must say here why
// they need no membership. A new non-admin procedure fails this test until it is listed.
type Target = { projectId: string; annotationId: string; campaignId: string; modelVersionId: string };
const onOneProject: Record<string, (t: Target) => unknown> = {
  "annotation.next": (t) => ({ projectId: t.projectId }),
  "projects.get": (t) => ({ projectId: t.projectId }),
  "projects.dashboard": (t) => ({ projectId: t.projectId }),
  "projects.quality": (t) => ({ projectId: t.projectId }),
  "review.list": (t) => ({ projectId: t.projectId }),
  "review.get": (t) => ({ annotationId: t.annotationId }),
  "review.accept": (t) => ({ annotationId: t.annotationId }),
  "review.reject": (t) => ({ annotationId: t.annotationId, reason: "checking the boundary" }),
  "review.correct": (t) => ({ annotationId: t.annotationId, labels: {}, note: null }),
  "review.reply": (t) => ({ annotationId: t.annotationId, body: "checking the boundary" }),
  "exports.count": (t) => ({ projectId: t.projectId, request: { format: "pairs" } }),
  "exports.snapshots": (t) => ({ projectId: t.projectId }),
  "acquisition.latest": (t) => ({ projectId: t.projectId }),
  "forecast.latest": (t) => ({ projectId: t.projectId }),
  "redTeam.campaigns": (t) => ({ projectId: t.projectId }),
  "redTeam.campaign": (t) => ({ campaignId: t.campaignId }),
  "redTeam.recordAttempt": (t) => ({
    campaignId: t.campaignId,
    modelVersionId: t.modelVersionId,
    messages: [
      { role: "user", content: "checking the boundary" },
      { role: "assistant", content: "No." },
    ],
    harmCategory: "privacy",
    tactics: ["other"],
    promptPolicy: "disallowed",
    grade: "A",
  }),
};
const noMembershipNeeded: Record<string, string> = {
  "health.check": "public",
  "me.get": "the caller's own account",
  "me.changePassword": "the caller's own account",
  "users.list": "names and roles only; reviewers choose annotators to filter by",
  "projects.list": "lists only the caller's projects",
  "projects.all": "lists only the caller's projects",
  "annotation.get": "only the caller's own assignments",
  "annotation.submit": "only the caller's own live lease, which removal from the project ends",
  "annotation.skip": "only the caller's own assignments",
  "annotation.report": "only the caller's own assignments",
  "annotation.demonstrate": "only the caller's own assignments",
  "inbox.list": "only the caller's own reviewed work",
  "inbox.unread": "only the caller's own reviewed work",
  "inbox.quality": "only the caller's own work",
  "inbox.markRead": "only the caller's own reviewed work",
  "inbox.ask": "only about the caller's own reviewed work",
  "redTeam.myCampaigns": "lists only the campaigns of the caller's projects",
};

describe("project membership matrix", () => {
  let deps: TestDeps;
  let target: Target;
  const outsiders = {} as Record<"annotator" | "reviewer", string>;
  let member: string;

  beforeAll(async () => {
    deps = createTestDeps();
    const project = await deps.db.project.create({ data: { name: `matrix-${randomUUID()}`, k: 2 } });
    async function* rows() {
      yield JSON.stringify({ prompt: "Which is better?", chosen: "This one.", rejected: "That one." }) + "\n";
    }
    await importJsonl(deps.db, { projectId: project.id, layout: "pairs", chunks: rows(), strict: true, filename: null, createdById: null });
    const annotation = await deps.db.annotation.findFirstOrThrow({ where: { task: { projectId: project.id } }, select: { id: true } });
    await ensureBuiltinModels(deps.db);
    const campaign = await deps.db.redTeamCampaign.create({
      data: { projectId: project.id, name: "boundary", targetModelId: smollmPolicy.id, goals: [{ category: "privacy", goal: "leak an address" }], domains: [] },
    });
    target = { projectId: project.id, annotationId: annotation.id, campaignId: campaign.id, modelVersionId: smollmPolicy.id };
    for (const role of ["annotator", "reviewer"] as const) {
      const u = await createUser(deps, role);
      outsiders[role] = await signIn(deps, u.email, u.password);
    }
    const m = await createUser(deps, "reviewer");
    await deps.db.projectMember.create({ data: { projectId: project.id, userId: m.id } });
    member = await signIn(deps, m.email, m.password);
  });
  afterAll(() => deps.db.$disconnect());

  it("sorts every non-admin procedure into one project or none", () => {
    const nonAdmin = Object.entries(declared)
      .filter(([, access]) => access !== "admin")
      .map(([path]) => path)
      .sort();
    expect([...Object.keys(onOneProject), ...Object.keys(noMembershipNeeded)].sort()).toEqual(nonAdmin);
  });

  for (const [path, input] of Object.entries(onOneProject)) {
    const call = async (cookie: string) => {
      const caller = await callerFor(deps, cookie);
      const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as AnyFn;
      return fn(input(target)).then(
        () => "allowed",
        (err: unknown) => {
          if (!(err instanceof TRPCError)) throw err;
          return err.code === "FORBIDDEN" ? err.message : "allowed";
        },
      );
    };
    for (const role of ["annotator", "reviewer"] as const) {
      const access = declared[path]!;
      // Annotators without the flag are refused red-teaming access before membership is checked.
      if (rank[role] < required[access === "red_teamer" ? "reviewer" : access]) continue;
      it(`${path} as a ${role} who is not a member → FORBIDDEN`, async () => {
        expect(await call(outsiders[role])).toMatch("not a member of this project");
      });
    }
    it(`${path} as a member → allowed`, async () => {
      expect(await call(member)).toBe("allowed");
    });
  }
});
