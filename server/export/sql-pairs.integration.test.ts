// The `pairs` format built in PostgreSQL against the serialisers (the reference), byte for byte, on
// data written through the real submit, review and import paths, with hostile text and metadata.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { getAssignmentView, nextAssignment, submitAnnotation } from "../annotation/service";
import type { SubmissionLabels } from "../annotation/submission";
import { createEvaluationSet } from "../evaluation/sets";
import { importJsonl } from "../import/service";
import { markGold } from "../projects/gold";
import { correctAnnotation, rejectAnnotation } from "../review/service";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import { ZPairsRecord } from "./formats/pairs";
import { ZExportRequest } from "./filter";
import { buildsInDatabase, exportChunks } from "./stream";

async function bytes(deps: TestDeps, projectId: string, request: Record<string, unknown>, inDatabase: boolean, batchSize?: number) {
  const chunks: Buffer[] = [];
  for await (const chunk of exportChunks(deps.db, { projectId, request: ZExportRequest.parse(request), inDatabase, batchSize })) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Text no serialiser should trip on: quotes, backslashes, control characters, line and paragraph
 *  separators, astral characters, markup. */
const nasty = (i: number) => `"q${i}" \\ \n\t\u0001\u001f\u007f \u2028\u2029 😀 é <img src=x onerror=alert(1)> ${"x".repeat(i % 3)}`;

/** Metadata as jsonb may hold it: array-index keys (which JavaScript puts first), an "export" key,
 *  numbers in every notation, nesting. */
const hostileMeta = {
  "10": 1,
  "2": [1e21, 1e-7, 0.000001, 123456789012345680000, -0, 5e-324, 1.7976931348623157e308, 9007199254740993],
  b: { z: null, a: true, "01": "leading zero is not an index" },
  export: "the file's own export key",
  "4294967295": "not an index",
  "": "",
  "😀": "\u2028",
};

describe("pairs built in the database", () => {
  let deps: TestDeps;
  let projectId: string;
  /** Preference files (two responses a task): their judgements export as the files' records. */
  let filesProjectId: string;
  let annotators: { id: string }[];
  const ids = new Map<string, string>();

  beforeAll(async () => {
    deps = createTestDeps();
    const project = await deps.db.project.create({ data: { name: `sql-pairs-${randomUUID()}`, k: 3, overlap: 2, goldRate: 1 } });
    projectId = project.id;
    const tasks = [0, 1, 2, 3, 4, 5].map((i) => ({
      prompt: i === 3 ? [{ role: "system", content: nasty(i) }, { role: "user", content: `turn ${i}` }, { role: "assistant", content: "a" }, { role: "user", content: nasty(i + 1) }] : `${nasty(i)} ${projectId}`,
      responses: ["best", "middle", "worst"].map((w) => ({ content: `${w} ${i} ${nasty(i)}`, model: w === "worst" ? null : `policy-${w}` })),
      source: (["production", "red_team", "model_generated"] as const)[i % 3],
      meta: {
        ...(i === 4 ? hostileMeta : i === 5 ? { note: "plain", n: 0.1 } : {}),
        id: i % 2 ? `file-${i}` : i,
        ...(i === 1 ? { safety: { promptPolicy: "sensitive", note: [1.5] } } : {}),
      },
    }));
    await importJsonl(deps.db, { projectId, layout: "tasks", chunks: (async function* () { yield tasks.map((r) => JSON.stringify(r)).join("\n"); })(), strict: true, filename: null, createdById: null });
    // Preference files: one pair with a file id and margin (its own record), a 3-way ranking.
    const pairs = [
      { id: 17, prompt: `pair ${nasty(7)} ${projectId}`, chosen: [{ role: "assistant", content: `yes ${nasty(7)}` }], rejected: [{ role: "assistant", content: "no" }], margin: 0.00001, safety: { promptPolicy: "disallowed", rubric: { a: "A" } }, meta: hostileMeta },
      { id: "p-2", prompt: `pair 2 ${projectId}`, chosen: [{ role: "assistant", content: "b" }], rejected: [{ role: "assistant", content: "c" }], meta: { "export": 1, n: 1e-7 } },
      { prompt: `pair 3 ${projectId}`, chosen: [{ role: "assistant", content: "d" }], rejected: [{ role: "assistant", content: "e" }], margin: 1 / 3 },
    ];
    filesProjectId = (await deps.db.project.create({ data: { name: `sql-pairs-files-${randomUUID()}`, k: 2 } })).id;
    const imported = await importJsonl(deps.db, { projectId: filesProjectId, layout: "pairs", chunks: (async function* () { yield pairs.map((r) => JSON.stringify(r)).join("\n"); })(), strict: true, filename: null, createdById: null });
    expect(imported.errors).toEqual([]);
    expect(imported.imported).toBe(3);
    for (const r of await deps.db.response.findMany({ where: { task: { projectId } } })) ids.set(r.content.split(" ").slice(0, 2).join(" "), r.id);
    // jsonb keeps numbers as written by other writers: trailing zeros, more digits than a double.
    await deps.db.$executeRaw`UPDATE task SET meta = ${'{"x": 1.50, "y": 123456789012345678901234567890, "z": [1E+2, 0.1000]}'}::jsonb
      WHERE id = (SELECT t.id FROM task t JOIN prompt p ON p.id = t."promptId" WHERE t."projectId" = ${filesProjectId} AND p.messages::text LIKE '%pair 3%')`;

    annotators = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator")]);
    const admin = await createUser(deps, "admin");
    const goldTask = await deps.db.task.findFirstOrThrow({ where: { projectId, responses: { some: { id: ids.get("best 5") } } } });
    await markGold(deps.db, { taskId: goldTask.id, answer: { ranking: [[ids.get("best 5")!], [ids.get("middle 5")!], [ids.get("worst 5")!]], promptPolicy: null } }, admin.id);
    // Every shape a submission takes: strict rankings of every strength, ties, safety labels with a
    // rubric, a harm category with quotes.
    let n = 0;
    for (const who of annotators) {
      for (;;) {
        const next = await nextAssignment(deps.db, { projectId, annotatorId: who.id });
        if (!next) break;
        const view = await getAssignmentView(deps.db, { assignmentId: next.assignmentId, annotatorId: who.id });
        const order = ["best", "middle", "worst"].map((w) => view.responses.find((r) => r.content.startsWith(w))!.id);
        const kind = n++ % 4;
        const labels: SubmissionLabels = {
          ranking: kind === 1 ? { groups: [[order[0]!, order[1]!], [order[2]!]], strengths: ["slight"] } : kind === 2 ? { groups: [[order[0]!], [order[1]!, order[2]!]], strengths: ["strong"] } : { groups: order.map((id) => [id]), strengths: kind === 3 ? ["negligible", "slight"] : ["clear", "strong"] },
          promptPolicy: kind === 3 ? "sensitive" : "allowed",
          harmCategory: kind === 3 ? "weapons & illegal activity" : null,
          rubric: kind === 3 ? { [order[0]!]: "A", [order[1]!]: "C", [order[2]!]: "B" } : {},
          flags: {},
          rationale: null,
        };
        await submitAnnotation(deps.db, { assignmentId: next.assignmentId, annotatorId: who.id, idempotencyKey: randomUUID(), labels, timeSpentMs: kind === 0 ? null : 1000 + n });
      }
    }
    const reviewer = await createUser(deps, "reviewer");
    const [first, second] = await deps.db.annotation.findMany({ where: { task: { projectId }, origin: "human" }, orderBy: { createdAt: "asc" }, take: 2 });
    const responses = await deps.db.response.findMany({ where: { taskId: first!.taskId }, orderBy: { index: "desc" } });
    await correctAnnotation(deps.db, { annotationId: first!.id, labels: { ranking: { groups: responses.map((r) => [r.id]), strengths: ["strong", "negligible"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null }, note: null }, reviewer.id);
    await rejectAnnotation(deps.db, { annotationId: second!.id, reason: "spam" }, reviewer.id);
    await createEvaluationSet(deps.db, { projectId, name: "held out", description: "", prompts: [{ messages: [{ role: "user", content: `pair 2 ${projectId}` }], policy: "allowed" }] }, admin.id);
  });
  afterAll(() => deps.db.$disconnect());

  it("writes the same bytes as the serialisers for every filter, across batch boundaries", async () => {
    const requests: Record<string, unknown>[] = [
      { format: "pairs" },
      { format: "pairs", reviewState: "corrected,pending" },
      { format: "pairs", promptPolicy: "sensitive" },
      { format: "pairs", source: "red_team,imported" },
      { format: "pairs", model: "policy-best" },
      { format: "pairs", excludeFlagged: true },
      { format: "pairs", excludeEvaluationPrompts: true },
      { format: "pairs", from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() },
      { format: "pairs", to: "2000-01-01" },
    ];
    for (const project of [projectId, filesProjectId]) {
      for (const request of requests) {
        expect(buildsInDatabase(ZExportRequest.parse(request))).toBe(true);
        const reference = await bytes(deps, project, request, false);
        for (const batchSize of [undefined, 1, 2, 5]) expect(await bytes(deps, project, request, true, batchSize), JSON.stringify({ request, batchSize })).toBe(reference);
      }
    }
    const labelled = (await bytes(deps, projectId, { format: "pairs" }, true)).trimEnd().split("\n").map((l) => ZPairsRecord.parse(JSON.parse(l)));
    // 6 tasks × 2 annotators: 3 pairs from a strict ranking, 2 from one with a tie; one rejected.
    expect(labelled.length).toBeGreaterThanOrEqual(25);
    expect(labelled.some((r) => r.safety && "rubric" in r.safety)).toBe(true);
    const all = await bytes(deps, filesProjectId, { format: "pairs" }, true);
    const records = all.trimEnd().split("\n").map((l) => ZPairsRecord.parse(JSON.parse(l)));
    // One import gives its tasks one createdAt, so their order is their ids'.
    expect(records).toHaveLength(3);
    expect(records.map((r) => [r.id, r.margin])).toEqual(expect.arrayContaining([[17, 0.00001], ["p-2", 1], [expect.stringMatching(/:/), 1 / 3]]));
    expect(all).toContain('"2":[1e+21,1e-7,0.000001,123456789012345680000,0,5e-324,1.7976931348623157e+308,9007199254740992]');
    expect(all).toContain('"meta":{"x":1.5,"y":1.2345678901234568e+29,"z":[100,0.1]}');
    expect(await bytes(deps, projectId, { format: "pairs", to: "2000-01-01" }, true)).toBe("");
  });

  it("the JSON text of any jsonb value is JSON.stringify's of the same value", async () => {
    const client = new pg.Client({ connectionString: inject("databaseUrl"), options: "-c extra_float_digits=1" });
    await client.connect();
    try {
      const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(Number), fc.integer().map((i) => i / 1000));
      // jsonb holds neither NUL nor unpaired surrogates.
      const text = fc.string({ unit: "binary" }).map((s) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\0/g, ""));
      const value = fc.letrec((tie) => ({
        json: fc.oneof({ depthSize: "small" }, number, text, fc.boolean(), fc.constant(null), fc.array(tie("json"), { maxLength: 4 }), fc.dictionary(fc.oneof(text, fc.nat().map(String)), tie("json"), { maxKeys: 5 })),
      })).json;
      await fc.assert(
        fc.asyncProperty(value, async (v) => {
          const text = JSON.stringify(v);
          const { rows } = await client.query<{ stored: string; written: string }>("SELECT $1::jsonb::text AS stored, export_js_json($1::jsonb) AS written", [text]);
          expect(rows[0]!.written).toBe(JSON.stringify(JSON.parse(rows[0]!.stored)));
        }),
        { numRuns: 1500, seed: 20261205 },
      );
    } finally {
      await client.end();
    }
  });
});
