import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  "annotation.next": "annotator",
  "annotation.get": "annotator",
  "annotation.submit": "annotator",
  "annotation.skip": "annotator",
  "annotation.report": "annotator",
  "annotation.demonstrate": "annotator",
  "imports.fromText": "admin",
  "imports.list": "admin",
  "review.list": "reviewer",
  "review.get": "reviewer",
  "review.accept": "reviewer",
  "review.reject": "reviewer",
  "review.correct": "reviewer",
  "exports.count": "reviewer",
  "exports.snapshots": "reviewer",
  "exports.createSnapshot": "admin",
  "apiKeys.list": "admin",
  "apiKeys.create": "admin",
  "apiKeys.revoke": "admin",
  "workers.list": "admin",
  "audit.list": "admin",
};

const callers = ["anonymous", "annotator", "reviewer", "admin"] as const;
type CallerName = (typeof callers)[number];
const rank: Record<CallerName, number> = { anonymous: 0, annotator: 1, reviewer: 2, admin: 3 };
const required: Record<Access, number> = { public: 0, annotator: 1, reviewer: 2, admin: 3 };

function expected(access: Access, who: CallerName): "allowed" | "UNAUTHORIZED" | "FORBIDDEN" {
  if (rank[who] >= required[access]) return "allowed";
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
