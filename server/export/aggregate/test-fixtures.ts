// Builders for the aggregate tests: a task with responses r1..rK and annotations given by their
// rankings, every other field filled with something plausible.
import fc from "fast-check";
import type { ExportAnnotation, ExportTask } from "../types";

let nextId = 0;

export function annotation(ranking: string[][], overrides: Partial<ExportAnnotation> = {}): ExportAnnotation {
  const ids = ranking.flat();
  nextId += 1;
  return {
    id: `ann-${nextId}`,
    annotatorId: null,
    origin: "human",
    ranking,
    strengths: ranking.slice(1).map(() => "clear" as const),
    margins: {},
    promptPolicy: "allowed",
    harmCategory: null,
    rubric: {},
    feedback: null,
    flags: {},
    shownOrder: ids,
    timeSpentMs: 1000,
    guidelinesVersion: 1,
    reviewState: "accepted",
    createdAt: new Date("2025-01-01T00:00:00Z"),
    ...overrides,
  };
}

export function task(k: number, annotations: ExportAnnotation[]): ExportTask {
  return {
    taskId: "task-1",
    projectId: "project-1",
    prompt: [{ role: "user", content: "Hello?" }],
    responses: responseIds(k).map((id) => ({ id, content: `answer ${id}`, model: null })),
    source: "imported",
    meta: {},
    annotations,
  };
}

export const responseIds = (k: number) => Array.from({ length: k }, (_, i) => `r${i + 1}`);

/** A ranking of r1..rK: a random order cut into random groups (ties). */
export function arbRanking(k: number): fc.Arbitrary<string[][]> {
  return fc
    .tuple(
      fc.shuffledSubarray(responseIds(k), { minLength: k, maxLength: k }),
      fc.array(fc.boolean(), { minLength: k - 1, maxLength: k - 1 }),
    )
    .map(([ids, cuts]) => {
      const groups: string[][] = [[ids[0]!]];
      ids.slice(1).forEach((id, i) => {
        if (cuts[i]) groups.push([id]);
        else groups[groups.length - 1]!.push(id);
      });
      return groups;
    });
}

/** Sorts ids inside each group so rankings compare regardless of the order within a tie. */
export const normalise = (ranking: string[][]) => ranking.map((g) => [...g].sort());
