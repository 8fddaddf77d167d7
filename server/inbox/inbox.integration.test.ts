import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importJsonl } from "../import/service";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { myQuality } from "./my-quality";

async function* lines(rows: unknown[]) {
  yield rows.map((r) => JSON.stringify(r)).join("\n");
}

describe("the annotator's review inbox", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("lists accepted, rejected (with the reason) and corrected work (with the note and what changed), unread until seen", async () => {
    const project = await deps.db.project.create({ data: { name: `inbox-${randomUUID()}`, k: 3, overlap: 1 } });
    await importJsonl(deps.db, {
      projectId: project.id,
      layout: "tasks",
      chunks: lines([0, 1, 2].map((i) => ({ prompt: `Question ${i}?`, responses: [`x${i}`, `y${i}`, `z${i}`] }))),
      strict: true,
      filename: null,
      createdById: null,
    });
    const [annotator, reviewer, other] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "reviewer"), createUser(deps, "annotator")]);
    await deps.db.projectMember.createMany({ data: [annotator, reviewer, other].map((u) => ({ projectId: project.id, userId: u.id })) });
    const a = await callerFor(deps, await signIn(deps, annotator.email, annotator.password));
    const r = await callerFor(deps, await signIn(deps, reviewer.email, reviewer.password));
    const o = await callerFor(deps, await signIn(deps, other.email, other.password));

    const labelled: { annotationId: string; shown: string[] }[] = [];
    for (let i = 0; i < 3; i++) {
      const view = (await a.annotation.next({ projectId: project.id }))!;
      const shown = view.responses.map((x) => x.id);
      const { result } = await a.annotation.submit({
        assignmentId: view.assignmentId,
        idempotencyKey: randomUUID(),
        labels: { ranking: { groups: shown.map((id) => [id]), strengths: ["clear", "clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
        timeSpentMs: 1000,
      });
      labelled.push({ annotationId: result.annotationId, shown });
    }
    expect(await a.inbox.unread()).toEqual({ count: 0 });

    const [accepted, rejected, corrected] = labelled as [(typeof labelled)[0], (typeof labelled)[0], (typeof labelled)[0]];
    await r.review.accept({ annotationId: accepted.annotationId });
    await r.review.reject({ annotationId: rejected.annotationId, reason: "You ranked the rude answer first." });
    const [p, q, s] = corrected.shown as [string, string, string];
    await r.review.correct({
      annotationId: corrected.annotationId,
      labels: { ranking: { groups: [[s], [p, q]], strengths: ["clear"] }, promptPolicy: "sensitive", harmCategory: "privacy", rubric: { [p]: "D", [q]: "D", [s]: "D" }, flags: {}, rationale: null },
      note: "C answers the question; A and B are as good as each other.",
    });

    expect(await a.inbox.unread()).toEqual({ count: 3 });
    expect(await o.inbox.unread()).toEqual({ count: 0 });
    const inbox = await a.inbox.list({ page: 0, pageSize: 20 });
    expect(inbox).toMatchObject({ total: 3, unread: 3 });
    const byId = new Map(inbox.items.map((i) => [i.annotationId, i]));
    expect(byId.get(accepted.annotationId)).toMatchObject({ state: "accepted", note: null, unread: true, changes: [] });
    expect(byId.get(rejected.annotationId)).toMatchObject({ state: "rejected", note: "You ranked the rude answer first.", changes: [] });
    expect(byId.get(corrected.annotationId)).toMatchObject({
      state: "corrected",
      note: "C answers the question; A and B are as good as each other.",
      project: { id: project.id, name: project.name },
      changes: [
        { field: "ranking", before: "A > B > C", after: "C > A = B" },
        { field: "policy", before: "allowed", after: "sensitive" },
        { field: "harm category", before: "—", after: "privacy" },
        { field: "rubric", before: "—", after: "A: D, B: D, C: D" },
      ],
    });
    expect(byId.get(corrected.annotationId)!.responses.map((x) => x.letter)).toEqual(["A", "B", "C"]);

    // Marking is the annotator's own: someone else's call marks nothing of theirs.
    expect(await o.inbox.markRead({ annotationIds: [accepted.annotationId] })).toEqual({ marked: 0 });
    expect(await a.inbox.markRead({ annotationIds: [accepted.annotationId] })).toEqual({ marked: 1 });
    expect(await a.inbox.unread()).toEqual({ count: 2 });
    await a.inbox.markRead({ all: true });
    expect(await a.inbox.unread()).toEqual({ count: 0 });
    // The annotator's own quality: acceptance of their reviewed work (with its interval), week by week.
    const [mine] = await a.inbox.quality();
    expect(mine).toMatchObject({ project: { id: project.id }, labelled: 3, reviewed: 3, corrected: 1, rejected: 1, goldThreshold: 0.7, goldAccuracy: null, goldItems: 0 });
    expect(mine!.acceptance).toMatchObject({ value: 1 / 3, n: 3 });
    expect(mine!.acceptance!.lo).toBeLessThan(1 / 3);
    expect(mine!.acceptance!.hi).toBeGreaterThan(1 / 3);
    expect(mine!.weeks).toHaveLength(1);
    expect(mine!.weeks[0]).toMatchObject({ reviewed: 3, accepted: 1 });
    expect(await o.inbox.quality()).toEqual([]);
    // A later review of a seen item is unread again.
    await r.review.accept({ annotationId: corrected.annotationId }).catch(() => undefined);
    await r.review.reject({ annotationId: corrected.annotationId, reason: "On second look, no." });
    expect(await a.inbox.unread()).toEqual({ count: 1 });
    // The rejection queued its task for the project's tallies: an open that cannot count it says
    // the figures are partial, and the next one that can is whole again.
    const [partial] = await myQuality(deps.db, annotator.id, { refreshBudgetMs: -1 });
    expect(partial!.counting).toEqual({ tasksLeft: 1 });
    expect((await a.inbox.quality())[0]!.counting).toBeNull();
    await expect(a.inbox.markRead({} as never)).rejects.toThrow("Name the reviews (annotationIds) or say all: true");
  });

  it("lets the annotator ask about a review, shows the reviewer the open question, and brings the reply back as new", async () => {
    const project = await deps.db.project.create({ data: { name: `ask-${randomUUID()}`, k: 2, overlap: 1 } });
    await importJsonl(deps.db, {
      projectId: project.id,
      layout: "tasks",
      chunks: lines([0, 1].map((i) => ({ prompt: `Ask ${i}?`, responses: [`p${i}`, `q${i}`] }))),
      strict: true,
      filename: null,
      createdById: null,
    });
    const [annotator, reviewer, outsider, other] = await Promise.all([
      createUser(deps, "annotator"),
      createUser(deps, "reviewer"),
      createUser(deps, "reviewer"),
      createUser(deps, "annotator"),
    ]);
    await deps.db.projectMember.createMany({ data: [annotator, reviewer, other].map((u) => ({ projectId: project.id, userId: u.id })) });
    const a = await callerFor(deps, await signIn(deps, annotator.email, annotator.password));
    const r = await callerFor(deps, await signIn(deps, reviewer.email, reviewer.password));
    const x = await callerFor(deps, await signIn(deps, outsider.email, outsider.password));
    const o = await callerFor(deps, await signIn(deps, other.email, other.password));

    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const view = (await a.annotation.next({ projectId: project.id }))!;
      const { result } = await a.annotation.submit({
        assignmentId: view.assignmentId,
        idempotencyKey: randomUUID(),
        labels: { ranking: { groups: view.responses.map((v) => [v.id]), strengths: ["clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
        timeSpentMs: 1000,
      });
      ids.push(result.annotationId);
    }
    const [asked, untouched] = ids as [string, string];

    // Not before a review, not about someone else's work, not empty.
    await expect(a.inbox.ask({ annotationId: asked, body: "Why?" })).rejects.toThrow("has not been reviewed yet");
    await r.review.reject({ annotationId: asked, reason: "B is the safer answer." });
    await r.review.accept({ annotationId: untouched });
    await expect(o.inbox.ask({ annotationId: asked, body: "Why?" })).rejects.toThrow("No reviewed work of yours");
    await expect(a.inbox.ask({ annotationId: asked, body: "   " })).rejects.toThrow("Write your question");
    await expect(r.review.reply({ annotationId: asked, body: "Nobody asked." })).rejects.toThrow("has not asked anything");
    await a.inbox.markRead({ all: true });

    await a.inbox.ask({ annotationId: asked, body: "B refuses a harmless request; is that <b>safer</b>?" });
    const queue = await r.review.list({ projectId: project.id, openQuestions: true });
    expect(queue).toMatchObject({ total: 1, openQuestions: 1, rows: [{ id: asked, questionOpen: true }] });
    expect((await r.review.list({ projectId: project.id })).openQuestions).toBe(1);
    // A reviewer who is not on the project neither sees nor answers it.
    await expect(x.review.reply({ annotationId: asked, body: "Hi" })).rejects.toThrow("not a member of this project");
    expect((await x.review.list({})).openQuestions).toBe(0);
    const seen = await r.review.get({ annotationId: asked });
    expect(seen.questionOpen).toBe(true);
    expect(seen.thread).toMatchObject([{ fromAnnotator: true, author: annotator.name, body: "B refuses a harmless request; is that <b>safer</b>?" }]);

    await r.review.reply({ annotationId: asked, body: "You are right that it over-refuses; the rubric says D for B." });
    expect((await r.review.list({ projectId: project.id, openQuestions: true })).total).toBe(0);
    // The reply is news: unread again, and first in the inbox although the other review is newer.
    expect(await a.inbox.unread()).toEqual({ count: 1 });
    const inbox = await a.inbox.list({ page: 0, pageSize: 20 });
    expect(inbox.items.map((i) => i.annotationId)).toEqual([asked, untouched]);
    expect(inbox.items[0]).toMatchObject({ unread: true, thread: [{ fromAnnotator: true }, { fromAnnotator: false, author: reviewer.name }] });
    await a.inbox.markRead({ annotationIds: [asked] });
    expect(await a.inbox.unread()).toEqual({ count: 0 });
    const audit = await deps.db.auditLog.findMany({ where: { target: `annotation:${asked}`, action: { in: ["annotation.question", "annotation.reply"] } }, orderBy: { id: "asc" } });
    expect(audit.map((e) => [e.action, e.actorId])).toEqual([
      ["annotation.question", annotator.id],
      ["annotation.reply", reviewer.id],
    ]);
  });
});
