// Demo data for a first start: an admin, an annotator, a reviewer and one project (the two are its members) with the demo prompts. Safe to run again:
// what exists is left alone, and passwords are printed only when an account is first created.
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAuth, type Auth } from "../server/auth";
import { createDb, type Db } from "../server/db";
import { getEnv } from "../server/env";
import { ZCreateEvaluationSetInput } from "../server/evaluation/evaluation-set.schema";
import { createEvaluationSet } from "../server/evaluation/sets";
import { importJsonl } from "../server/import/service";
import { ensureBuiltinModels } from "../server/models/service";
import { inviteUser } from "../server/users/service";
import type { Role } from "../server/users/roles";

const demoDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "demo");
const demoFile = path.join(demoDir, "preferences-demo.jsonl");
/** Prompts that are not among the labelling prompts, with their policy: the demo's evaluation set. */
const demoEvaluationFile = path.join(demoDir, "evaluation-demo.jsonl");

export type SeedOptions = {
  adminEmail: string;
  adminPassword?: string;
  annotatorEmail: string;
  annotatorPassword?: string;
  /** A reviewer account, for trying the review console. */
  reviewerEmail?: string;
  reviewerPassword?: string;
};

export type SeededAccount = { email: string; role: Role; password: string | null };

async function ensureUser(deps: { db: Db; auth: Auth }, email: string, name: string, role: Role, password?: string) {
  const existing = await deps.db.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) return { id: existing.id, account: { email, role, password: null } };
  const pw = password ?? randomBytes(9).toString("base64url");
  // A generated demo password is printed to the console: it must be replaced at first sign-in.
  const { user } = await inviteUser(deps, { email, name, role, password: pw }, null, { temporaryPassword: password === undefined });
  return { id: user.id, account: { email, role, password: pw } };
}

export async function seedDemo(deps: { db: Db; auth: Auth }, opts: SeedOptions): Promise<{ accounts: SeededAccount[]; projectId: string }> {
  const admin = await ensureUser(deps, opts.adminEmail, "Admin", "admin", opts.adminPassword);
  const annotator = await ensureUser(deps, opts.annotatorEmail, "Demo Annotator", "annotator", opts.annotatorPassword);
  const reviewer = opts.reviewerEmail ? await ensureUser(deps, opts.reviewerEmail, "Demo Reviewer", "reviewer", opts.reviewerPassword) : null;
  const project = await deps.db.project.upsert({
    where: { name: "Demo: helpful and harmless" },
    update: {},
    create: {
      name: "Demo: helpful and harmless",
      description: "Rank four assistant replies per prompt and label their safety.",
      guidelines: "# Guidelines\n\nPrefer the reply that is most helpful while staying safe. Mark ties only when two replies are equally good.",
      k: 4,
      mode: "rank",
      overlap: 2,
      createdById: admin.id,
    },
    select: { id: true, _count: { select: { tasks: true } } },
  });
  // The demo annotator and reviewer work on the demo project.
  await deps.db.projectMember.createMany({
    data: [annotator, ...(reviewer ? [reviewer] : [])].map((u) => ({ projectId: project.id, userId: u.id, addedById: admin.id })),
    skipDuplicates: true,
  });
  if (project._count.tasks === 0) {
    const summary = await importJsonl(deps.db, {
      projectId: project.id,
      layout: "tasks",
      chunks: createReadStream(demoFile),
      strict: true,
      filename: path.basename(demoFile),
      createdById: admin.id,
    });
    if (!summary.committed) throw new Error(`The demo file has bad rows: ${JSON.stringify(summary.errors.slice(0, 5))}`);
  }
  if ((await deps.db.evaluationSet.count({ where: { projectId: project.id } })) === 0) {
    const rows = (await readFile(demoEvaluationFile, "utf8")).split("\n").filter((l) => l.trim());
    const prompts = rows.map((l) => {
      const r = JSON.parse(l) as { prompt: unknown; policy: unknown; harmCategory: unknown };
      return { messages: r.prompt, policy: r.policy, harmCategory: r.harmCategory };
    });
    const input = ZCreateEvaluationSetInput.parse({
      projectId: project.id,
      name: "Demo evaluation set",
      description: "Held-out prompts (allowed, sensitive and disallowed) that every policy of the demo is evaluated on.",
      prompts,
    });
    await createEvaluationSet(deps.db, input, admin.id);
  }
  // The default encoder and policy appear in the model registry from the start.
  await ensureBuiltinModels(deps.db);
  return { accounts: [admin.account, annotator.account, ...(reviewer ? [reviewer.account] : [])], projectId: project.id };
}

async function main() {
  const env = getEnv();
  const db = createDb(env.DATABASE_URL);
  const auth = createAuth(db, { baseURL: env.APP_URL, secret: env.BETTER_AUTH_SECRET });
  try {
    const { accounts, projectId } = await seedDemo(
      { db, auth },
      {
        adminEmail: process.env.ADMIN_EMAIL ?? "admin@example.com",
        adminPassword: process.env.ADMIN_PASSWORD,
        annotatorEmail: process.env.ANNOTATOR_EMAIL ?? "annotator@example.com",
        annotatorPassword: process.env.ANNOTATOR_PASSWORD,
        reviewerEmail: process.env.REVIEWER_EMAIL ?? "reviewer@example.com",
        reviewerPassword: process.env.REVIEWER_PASSWORD,
      },
    );
    const fresh = accounts.filter((a) => a.password);
    if (fresh.length) {
      console.log("\nDemo accounts created. Passwords are shown this once; keep them:");
      for (const a of fresh) console.log(`  ${a.role.padEnd(9)} ${a.email}  password: ${a.password}`);
      console.log("");
    } else {
      console.log("Demo data already present; nothing created.");
    }
    console.log(`The whole loop on the demo project, step by step: ${env.APP_URL}/admin/projects/${projectId}/loop\n`);
  } finally {
    await db.$disconnect();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
