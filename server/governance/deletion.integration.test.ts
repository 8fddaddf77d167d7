import { randomUUID } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { getAssignmentView, nextAssignment, saveDemonstration, submitAnnotation } from "../annotation/service";
import { ZExportRequest } from "../export/filter";
import { holdSnapshotWriters, snapshotLockSpace, whileWritingSnapshot } from "../export/snapshot-writing-lock";
import { createSnapshot, getSnapshot, rebuildSnapshot, snapshotFilePath, writeSnapshot, type SnapshotManifest } from "../export/snapshots";
import { createApiKey } from "../api-keys/service";
import { importJsonl } from "../import/service";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { deletePromptsWithLineage, findConversations, type DeletionResult } from "./delete-conversation";

process.env.DATABASE_URL = inject("databaseUrl");
process.env.BETTER_AUTH_SECRET ??= "integration-tests-secret-0123456789abcdef";
// The router reads the artifact directory from the environment; the services are given the same one.
const artifactDir = (process.env.ARTIFACT_DIR = await mkdtemp(path.join(tmpdir(), "rlhf-deletion-")));

describe("deleting a conversation with its lineage", () => {
  let deps: TestDeps;
  let projectId: string;
  let admin: { id: string; email: string; password: string };
  let doomed: { promptId: string; taskId: string; responseIds: string[]; annotationIds: string[]; text: string };
  const snap = {} as Record<"pairs" | "hh" | "sft" | "rankingsMajority" | "redTeamOnly", SnapshotManifest>;
  const model = {} as Record<"reward" | "policy" | "child" | "unrelated", string>;

  const fileOf = async (snapshotId: string) => {
    const { path: p } = await getSnapshot(deps.db, { projectId, snapshotId });
    return readFile(snapshotFilePath(artifactDir, p), "utf8");
  };

  beforeAll(async () => {
    deps = createTestDeps();
    admin = await createUser(deps, "admin");
    projectId = (await deps.db.project.create({ data: { name: `deletion-${randomUUID()}`, k: 2, overlap: 1 } })).id;
    const text = `Please forget me ${projectId}`;
    const rows = [
      { prompt: text, responses: [{ content: `Forgotten answer ${projectId}` }, { content: "A second answer" }], source: "production" },
      { prompt: `Keep this ${projectId}`, responses: [{ content: "Kept answer" }, { content: "Other kept answer" }], source: "production" },
      { prompt: `Red team ${projectId}`, responses: [{ content: "Refusal" }, { content: "Compliance" }], source: "red_team" },
    ];
    await importJsonl(deps.db, { projectId, layout: "tasks", chunks: (async function* () { yield rows.map((r) => JSON.stringify(r)).join("\n"); })(), strict: true, filename: null, createdById: null });
    const annotator = await createUser(deps, "annotator");
    for (;;) {
      const next = await nextAssignment(deps.db, { projectId, annotatorId: annotator.id });
      if (!next) break;
      const view = await getAssignmentView(deps.db, { assignmentId: next.assignmentId, annotatorId: annotator.id });
      const groups = view.responses.map((r) => [r.id]);
      if (view.prompt.messages.some((m) => m.content === text)) {
        await saveDemonstration(deps.db, { assignmentId: next.assignmentId, authorId: annotator.id, content: `Ideal answer ${projectId}`, basedOnResponseId: null, idempotencyKey: randomUUID() });
      }
      await submitAnnotation(deps.db, { assignmentId: next.assignmentId, annotatorId: annotator.id, idempotencyKey: randomUUID(), labels: { ranking: { groups, strengths: ["clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null }, timeSpentMs: 1000 });
    }
    const task = await deps.db.task.findFirstOrThrow({
      where: { projectId, prompt: { messages: { array_contains: [{ role: "user", content: text }] } } },
      select: { id: true, promptId: true, responses: { select: { id: true } }, annotations: { select: { id: true } } },
    });
    doomed = { promptId: task.promptId, taskId: task.id, responseIds: task.responses.map((r) => r.id), annotationIds: task.annotations.map((a) => a.id), text };
    expect(doomed.annotationIds).toHaveLength(1);

    const take = (request: Record<string, unknown>) => createSnapshot(deps.db, { projectId, request: ZExportRequest.parse(request), artifactDir, createdById: admin.id });
    snap.pairs = await take({ format: "pairs" }); // built in the database
    snap.hh = await take({ format: "hh" }); // no ids in the records
    snap.sft = await take({ format: "sft" }); // demonstrations, no ids either
    snap.rankingsMajority = await take({ format: "rankings", aggregate: "majority" });
    snap.redTeamOnly = await take({ format: "pairs", source: "red_team" });

    const job = (await deps.db.job.create({ data: { kind: "train_reward", payload: {}, state: "succeeded" } })).id;
    const mv = (data: Record<string, unknown>) => deps.db.modelVersion.create({ data: { path: `models/${randomUUID()}`, jobId: job, projectId, ...data } as never, select: { id: true } }).then((m) => m.id);
    model.reward = await mv({ kind: "reward", name: "rm on pairs", snapshotId: snap.pairs.id });
    model.policy = await mv({ kind: "policy", name: "ppo against rm", rewardModelId: model.reward });
    model.child = await mv({ kind: "policy", name: "policy from policy", parentId: model.policy });
    model.unrelated = await mv({ kind: "reward", name: "rm on red team", snapshotId: snap.redTeamOnly.id });
  });
  afterAll(() => deps.db.$disconnect());

  it("finds the conversation by its text or its id", async () => {
    expect((await findConversations(deps.db, { projectId, query: "PLEASE FORGET" })).map((r) => r.id)).toEqual([doomed.promptId]);
    expect((await findConversations(deps.db, { projectId, query: doomed.promptId })).map((r) => r.id)).toEqual([doomed.promptId]);
    expect(await findConversations(deps.db, { projectId, query: "100%_" })).toEqual([]);
  });

  it("a dry run lists what would be affected and changes nothing", async () => {
    const plan = await deletePromptsWithLineage(deps.db, { projectId, promptIds: [doomed.promptId], reason: "", artifactDir, dryRun: true });
    expect(plan.deletionId).toBeNull();
    expect(plan.taskIds).toEqual([doomed.taskId]);
    expect(plan.annotationCount).toBe(1);
    expect(plan.demonstrationCount).toBe(1);
    expect(plan.snapshots.map((s) => s.id).sort()).toEqual([snap.pairs.id, snap.hh.id, snap.sft.id, snap.rankingsMajority.id].sort());
    expect(plan.models.map((m) => m.id).sort()).toEqual([model.reward, model.policy, model.child].sort());
    expect(await deps.db.prompt.count({ where: { id: doomed.promptId } })).toBe(1);
    expect(await deps.db.dataDeletion.count({ where: { projectId } })).toBe(0);
  });

  it("refuses an empty reason or an id from elsewhere, and deletes nothing", async () => {
    await expect(deletePromptsWithLineage(deps.db, { projectId, promptIds: [doomed.promptId], reason: "  ", artifactDir })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(deletePromptsWithLineage(deps.db, { projectId, promptIds: [doomed.promptId, randomUUID()], reason: "user asked", artifactDir })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const caller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    await expect(caller.governance.deleteConversations({ projectId, promptIds: [doomed.promptId], reason: "" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await deps.db.prompt.count({ where: { id: doomed.promptId } })).toBe(1);
    expect(await deps.db.dataDeletion.count({ where: { projectId } })).toBe(0);
  });

  it("deletes the rows, marks exactly the snapshots that held them, flags their models and audits it; a rebuild leaves the item out", async () => {
    const caller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    const result = await caller.governance.deleteConversations({ projectId, promptIds: [doomed.promptId], reason: "The user asked for erasure" });

    // The rows are gone.
    expect(await deps.db.prompt.count({ where: { id: doomed.promptId } })).toBe(0);
    expect(await deps.db.task.count({ where: { id: doomed.taskId } })).toBe(0);
    expect(await deps.db.response.count({ where: { id: { in: doomed.responseIds } } })).toBe(0);
    expect(await deps.db.annotation.count({ where: { id: { in: doomed.annotationIds } } })).toBe(0);
    expect(await deps.db.preferencePair.count({ where: { taskId: doomed.taskId } })).toBe(0);
    expect(await deps.db.demonstration.count({ where: { taskId: doomed.taskId } })).toBe(0);
    expect(await deps.db.task.count({ where: { projectId } })).toBe(2);

    // The lists are exact: the red-team-only snapshot never held it, and its model is not flagged.
    const affected = [snap.pairs.id, snap.hh.id, snap.sft.id, snap.rankingsMajority.id].sort();
    expect(result.snapshots.map((s) => s.id).sort()).toEqual(affected);
    expect(result.models.map((m) => m.id).sort()).toEqual([model.reward, model.policy, model.child].sort());
    expect(result.models.find((m) => m.id === model.policy)!.via).toBe(`optimised against reward model ${model.reward}`);

    // The record holds ids, never the text.
    const deletion = await deps.db.dataDeletion.findUniqueOrThrow({ where: { id: result.deletionId! } });
    expect(deletion).toMatchObject({ promptIds: [doomed.promptId], taskIds: [doomed.taskId], reason: "The user asked for erasure", actorId: admin.id, annotationCount: 1, demonstrationCount: 1 });
    expect(deletion.snapshotIds.sort()).toEqual(affected);
    expect(JSON.stringify(deletion)).not.toContain("forget me");

    for (const id of affected) {
      const { manifest } = await getSnapshot(deps.db, { projectId, snapshotId: id });
      expect(manifest.containsDeletedData).toMatchObject({ deletionIds: [result.deletionId] });
    }
    expect((await getSnapshot(deps.db, { projectId, snapshotId: snap.redTeamOnly.id })).manifest.containsDeletedData).toBeNull();
    const models = await deps.db.modelVersion.findMany({ where: { projectId }, select: { id: true, retrainFlaggedAt: true, retrainReason: true } });
    for (const m of models) {
      if (m.id === model.unrelated) expect(m.retrainFlaggedAt).toBeNull();
      else expect(m.retrainReason).toContain(result.deletionId!);
    }
    const audit = await deps.db.auditLog.findFirstOrThrow({ where: { action: "data.delete", target: `deletion:${result.deletionId}` } });
    expect(audit).toMatchObject({ actorId: admin.id, projectId });
    expect(JSON.stringify(audit.after)).not.toContain("forget me");

    // The old files are untouched; the rebuilds lack the item (its text and ids) and say what they replace.
    for (const old of [snap.pairs, snap.hh, snap.sft]) {
      const before = await fileOf(old.id);
      expect(before).toContain("forget me");
      const rebuilt = await caller.exports.rebuildSnapshot({ projectId, snapshotId: old.id });
      const text = await fileOf(rebuilt.id);
      for (const needle of ["forget me", `Forgotten answer ${projectId}`, `Ideal answer ${projectId}`, doomed.taskId, ...doomed.responseIds, ...doomed.annotationIds]) expect(text).not.toContain(needle);
      expect(rebuilt.sha256).not.toBe(old.sha256);
      expect(rebuilt).toMatchObject({ format: old.format, aggregate: old.aggregate, filter: old.filter, replaces: { snapshotId: old.id, deletionIds: [result.deletionId] }, containsDeletedData: null });
      expect(await fileOf(old.id)).toBe(before);
      expect((await getSnapshot(deps.db, { projectId, snapshotId: old.id })).manifest.replacedBy).toEqual([rebuilt.id]);
      expect(await deps.db.auditLog.count({ where: { action: "snapshot.rebuild", target: `snapshot:${rebuilt.id}`, actorId: admin.id } })).toBe(1);
    }
    expect((await fileOf(snap.pairs.id)).split("\n").filter(Boolean).length - 1).toBe((await fileOf((await getSnapshot(deps.db, { projectId, snapshotId: snap.pairs.id })).manifest.replacedBy[0]!)).split("\n").filter(Boolean).length);
    await expect(rebuildSnapshot(deps.db, { projectId, snapshotId: snap.redTeamOnly.id, artifactDir, createdById: admin.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    // Deleting it again finds nothing to delete.
    await expect(caller.governance.deleteConversations({ projectId, promptIds: [doomed.promptId], reason: "again" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("a deletion asked for by an API key is recorded against the key and reaches rebuilt snapshots too", async () => {
    const { id: apiKeyId, key } = await createApiKey(deps.db, { name: "feedback", projectIds: [projectId], scopes: ["read", "write"] }, admin.id);
    const redTeam = await deps.db.prompt.findFirstOrThrow({ where: { projectId, source: "red_team" }, select: { id: true } });
    const rebuilds = await deps.db.snapshot.findMany({ where: { projectId, replacesId: { not: null } }, select: { id: true, format: true } });
    const result = await deletePromptsWithLineage(deps.db, { projectId, promptIds: [redTeam.id], reason: "Withdrawn by the deployment", apiKeyId, artifactDir });
    // sft holds demonstrations only, and only the doomed prompt had one.
    const expected = [snap.pairs.id, snap.hh.id, snap.rankingsMajority.id, snap.redTeamOnly.id, ...rebuilds.filter((r) => r.format !== "sft").map((r) => r.id)].sort();
    expect(result.snapshots.map((s) => s.id).sort()).toEqual(expected);
    expect(result.snapshots.every((s) => s.promptIds.length === 1 && s.promptIds[0] === redTeam.id)).toBe(true);
    expect(result.models.map((m) => m.id)).toContain(model.unrelated);
    expect(await deps.db.dataDeletion.findUniqueOrThrow({ where: { id: result.deletionId! } })).toMatchObject({ apiKeyId, actorId: null });
    expect((await deps.db.auditLog.findFirstOrThrow({ where: { target: `deletion:${result.deletionId}` } })).after).toMatchObject({ apiKeyId, reason: "Withdrawn by the deployment" });
    // A snapshot marked twice lists both deletions, in the API's manifest too.
    const manifestRoute = await import("../../app/api/v1/projects/[projectId]/snapshots/[snapshotId]/route");
    const res = await manifestRoute.GET(new Request(`http://localhost/api/v1/projects/${projectId}/snapshots/${snap.pairs.id}`, { headers: { authorization: `Bearer ${key}` } }), {
      params: Promise.resolve({ projectId, snapshotId: snap.pairs.id }),
    });
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as { containsDeletedData: { deletionIds: string[] }; replacedBy: string[] };
    expect(manifest.containsDeletedData.deletionIds).toHaveLength(2);
    expect(manifest.containsDeletedData.deletionIds).toContain(result.deletionId);
    expect(manifest.replacedBy).toHaveLength(1);
  });

  it("waits for a snapshot being written: one that read the conversation before the deletion committed is still marked", async () => {
    const kept = await deps.db.prompt.findFirstOrThrow({ where: { projectId, messages: { array_contains: [{ role: "user", content: `Keep this ${projectId}` }] } }, select: { id: true } });
    // Deletions waiting for this project's snapshot-writing lock (a two-key advisory lock: classid, objid).
    const waiting = async () => {
      const [row] = await deps.db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2 AND classid::bigint = ${snapshotLockSpace}
          AND objid::bigint = (hashtext(${projectId})::bigint + 4294967296) % 4294967296`;
      return row!.n;
    };
    let deletion: Promise<DeletionResult> | undefined;
    let settled = false;
    const written = await whileWritingSnapshot(deps.db, projectId, async () => {
      deletion = deletePromptsWithLineage(deps.db, { projectId, promptIds: [kept.id], reason: "Asked while a snapshot was being written", actorId: admin.id, artifactDir });
      deletion.then(
        () => (settled = true),
        () => (settled = true),
      );
      await expect.poll(waiting, { timeout: 20_000 }).toBe(1);
      // The writer reads the data now: the deletion is waiting and has removed nothing.
      const row = await writeSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "pairs" }), artifactDir, createdById: admin.id, createdByKeyId: null, quotaBytes: 2 ** 40, replaces: null });
      expect(settled).toBe(false);
      return row;
    });
    expect(await fileOf(written.id)).toContain(`Keep this ${projectId}`);
    const result = await deletion!;
    expect(result.snapshots.map((s) => s.id)).toContain(written.id);
    expect((await deps.db.snapshot.findUniqueOrThrow({ where: { id: written.id }, select: { deletionIds: true } })).deletionIds).toEqual([result.deletionId]);
    expect(await deps.db.prompt.count({ where: { id: kept.id } })).toBe(0);
  });

  it("gives up with a conflict when a snapshot takes too long to write, inside the deletion's transaction", async () => {
    await whileWritingSnapshot(deps.db, projectId, async () => {
      const attempt = deps.db.$transaction((tx) => holdSnapshotWriters(tx, projectId, 0.3));
      await expect(attempt).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/snapshot of this project .* nothing was deleted/) });
    });
    // Once the writer is done the lock is free again.
    await deps.db.$transaction((tx) => holdSnapshotWriters(tx, projectId, 5));
  });
});
