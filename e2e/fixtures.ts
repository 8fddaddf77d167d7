import { randomUUID } from "node:crypto";
import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";
import { createAuth } from "../server/auth";
import { createDb, type Db } from "../server/db";
import type { Role } from "../server/users/roles";
import { inviteUser } from "../server/users/service";

export const e2eSecret = "browser-tests-secret-0123456789abcdefgh";

export const demoAccounts = {
  admin: { email: "admin@e2e.example", password: "admin-e2e-password" },
  annotator: { email: "annotator@e2e.example", password: "annotator-e2e-password" },
};

type Fixtures = {
  db: Db;
  /** Creates a fresh user of the given role through the users service, a member of `projectIds`. */
  makeUser: (role: Role, projectIds?: string[]) => Promise<{ id: string; email: string; password: string }>;
};

export const test = base.extend<Fixtures>({
  db: async ({}, provide) => {
    const url = process.env.E2E_DATABASE_URL;
    if (!url) throw new Error("E2E_DATABASE_URL is not set; run through `npm run test:e2e`");
    const db = createDb(url);
    await provide(db);
    await db.$disconnect();
  },
  makeUser: async ({ db, baseURL }, provide) => {
    const auth = createAuth(db, { baseURL: baseURL!, secret: e2eSecret });
    await provide(async (role, projectIds = []) => {
      const email = `${role}-${randomUUID().slice(0, 8)}@e2e.example`;
      const password = `pw-${randomUUID()}`;
      const { user } = await inviteUser({ db, auth }, { email, name: `E2E ${role}`, role, password, projectIds }, null);
      return { id: user.id, email, password };
    });
  },
});

export { expect };

export async function signInThroughForm(page: Page, email: string, password: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in through the auth API (faster than the form); the page's context keeps the cookie. */
export async function signInThroughApi(page: Page, baseURL: string, email: string, password: string) {
  const res = await page.request.post("/api/auth/sign-in/email", { data: { email, password }, headers: { origin: baseURL } });
  expect(res.status(), await res.text()).toBe(200);
}

export type SeedRow = { prompt: string | { role: "system" | "user" | "assistant"; content: string }[]; responses: string[] };

/** Creates a labelling project with its own name and imports `rows` as tasks (strict: a bad row fails the test). */
export async function seedProject(
  db: Db,
  opts: { k: number; mode?: "rank" | "pairwise"; overlap?: number; tiesAllowed?: boolean; guidelines?: string; rows: SeedRow[] },
): Promise<{ projectId: string; name: string }> {
  const name = `E2E ${opts.mode ?? "rank"} ${randomUUID().slice(0, 8)}`;
  const project = await db.project.create({
    data: {
      name,
      description: "Seeded by a browser test",
      guidelines: opts.guidelines ?? "# Guidelines\n\nPrefer the most helpful reply that stays safe.",
      k: opts.k,
      mode: opts.mode ?? "rank",
      overlap: opts.overlap ?? 1,
      tiesAllowed: opts.tiesAllowed ?? true,
    },
    select: { id: true },
  });
  await importRows(db, project.id, opts.rows);
  return { projectId: project.id, name };
}

/** Imports `rows` into a project as tasks (strict: a bad row fails the test). */
export async function importRows(db: Db, projectId: string, rows: SeedRow[]) {
  // Imported here because helpers are only appended to this file, after its import block.
  const { importJsonl } = await import("../server/import/service");
  const jsonl = rows.map((row) => JSON.stringify(row)).join("\n") + "\n";
  const summary = await importJsonl(db, {
    projectId,
    layout: "tasks",
    chunks: (async function* () {
      yield jsonl;
    })(),
    strict: true,
    filename: null,
    createdById: null,
  });
  if (!summary.committed || summary.imported !== rows.length) throw new Error(`importRows: import failed ${JSON.stringify(summary.errors)}`);
}

/** A fresh annotator, a member of the project, signed in on this page. */
export async function signInNewAnnotator(
  page: Page,
  baseURL: string,
  makeUser: (role: Role, projectIds?: string[]) => Promise<{ id: string; email: string; password: string }>,
  projectId: string,
) {
  const user = await makeUser("annotator", [projectId]);
  await signInThroughApi(page, baseURL, user.email, user.password);
  return user;
}

/** Response ids of a project by their content, to check stored pairs against what the test ranked. */
export async function responseIdsByContent(db: Db, projectId: string): Promise<Map<string, string>> {
  const responses = await db.response.findMany({ where: { task: { projectId } }, select: { id: true, content: true } });
  return new Map(responses.map((r) => [r.content, r.id]));
}

/**
 * Calls a tRPC procedure over HTTP as whoever is signed in on `request` (superjson on the wire),
 * for test set-up that need not go through the UI. Throws with the server's message on an error.
 */
export async function callTrpc<T = unknown>(request: APIRequestContext, path: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const res =
    kind === "query"
      ? await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await request.post(`/api/trpc/${path}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data: { json: T } }; error?: { json: { message: string } } };
  if (!res.ok() || !body.result) throw new Error(`${path} failed (${res.status()}): ${body.error?.json.message ?? JSON.stringify(body)}`);
  return body.result.data.json;
}

/** The words the tiny test models know (the e2e worker's stand-ins for the built-in models, and tiny encoders). */
export const tinyWords = ["question", "good", "bad", "answer", "helpful", "rude"];

/** Ranks every task of the project as one annotator: the good answer above the bad one. */
export async function rankAll(db: Db, projectId: string, annotatorId: string) {
  // Imported here because helpers are only appended to this file, after its import block.
  const { nextAssignment, submitAnnotation } = await import("../server/annotation/service");
  for (;;) {
    const next = await nextAssignment(db, { projectId, annotatorId });
    if (!next) return;
    const { task } = await db.assignment.findUniqueOrThrow({ where: { id: next.assignmentId }, select: { task: { select: { responses: { select: { id: true, content: true } } } } } });
    const good = task.responses.find((r) => r.content.startsWith("good"))!;
    const bad = task.responses.find((r) => r !== good)!;
    await submitAnnotation(db, {
      assignmentId: next.assignmentId,
      annotatorId,
      idempotencyKey: randomUUID(),
      labels: { ranking: { groups: [[good.id], [bad.id]], strengths: ["clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
      timeSpentMs: 1000,
    });
  }
}

/** Makes annotators and reviewers members of a project (admins need no membership). */
export async function joinProject(db: Db, projectId: string, ...users: { id: string }[]) {
  await db.projectMember.createMany({ data: users.map((u) => ({ projectId, userId: u.id })), skipDuplicates: true });
}

/** A tiny encoder built by the trainer package, registered as a base model version. */
export async function registerTinyEncoder(db: Db) {
  const { execFile } = await import("node:child_process");
  const { mkdtemp } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const { promisify } = await import("node:util");
  const dir = path.join(await mkdtemp(path.join(tmpdir(), "rlhf-e2e-model-")), "tiny-encoder");
  await promisify(execFile)(path.resolve(".venv/bin/python"), ["-c", `from trainer.tiny import make_tiny_encoder; make_tiny_encoder(${JSON.stringify(dir)}, ${JSON.stringify(tinyWords)})`], {
    cwd: path.resolve("workers/trainer"),
  });
  return db.modelVersion.create({ data: { kind: "base", name: `tiny-e2e-${randomUUID().slice(0, 8)}`, path: dir }, select: { id: true, name: true } });
}
