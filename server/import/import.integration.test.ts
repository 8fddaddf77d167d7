import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDeps, createUser, signIn, testBaseUrl, testSecret, type TestDeps } from "../test/harness";
import { ZExportRequest } from "../export/filter";
import { exportChunks } from "../export/stream";
import { toHhText } from "./conversation";
import { importJsonl } from "./service";

async function* chunksOf(text: string, size = 97) {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

const jsonl = (rows: unknown[]) => rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n");

describe("importing JSONL into a project", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  const project = (k = 2) => deps.db.project.create({ data: { name: `import-${randomUUID()}`, k } });
  const run = (projectId: string, text: string, layout: "tasks" | "pairs" | "hh" = "tasks", strict = false) =>
    importJsonl(deps.db, { projectId, layout, chunks: chunksOf(text), strict, filename: "test.jsonl", createdById: null });

  it("imports the good rows and reports each bad row by line number and reason", async () => {
    const p = await project();
    const text = jsonl([
      { prompt: "Hi", responses: ["Hello", "Hey"] },
      "{not json",
      { prompt: "Two", responses: ["only one"] },
      "",
      { prompt: [{ role: "user", content: "Multi" }, { role: "assistant", content: "x" }, { role: "user", content: "again" }], responses: ["a", "b"], source: "red_team", meta: { tag: 1 } },
      { prompt: "Three", responses: ["a", "b", "c"] },
    ]);
    const s = await run(p.id, text);
    expect(s.committed).toBe(true);
    expect(s.imported).toBe(2);
    expect(s.errors.map((e) => e.line)).toEqual([2, 3, 6]);
    expect(s.errors[0]!.error).toMatch(/^invalid JSON/);
    expect(s.errors[2]!.error).toBe("this project expects 2 responses per prompt; the row has 3");
    const prompts = await deps.db.prompt.findMany({ where: { projectId: p.id }, orderBy: { createdAt: "asc" }, select: { messages: true, source: true, meta: true } });
    expect(prompts).toHaveLength(2);
    expect(prompts.find((x) => x.source === "red_team")?.meta).toEqual({ tag: 1 });
    const batch = await deps.db.importBatch.findUniqueOrThrow({ where: { id: s.batchId } });
    expect(batch).toMatchObject({ rowsRead: 5, imported: 2, duplicates: 0 });
  });

  it("in strict mode one bad row imports nothing, and every bad row is still reported", async () => {
    const p = await project();
    const s = await run(p.id, jsonl([{ prompt: "ok", responses: ["a", "b"] }, { prompt: "bad" }, { prompt: "ok2", responses: ["a", "b"] }, "[]"]), "tasks", true);
    expect(s.committed).toBe(false);
    expect(s.imported).toBe(0);
    expect(s.errors.map((e) => e.line)).toEqual([2, 4]);
    expect(await deps.db.task.count({ where: { projectId: p.id } })).toBe(0);
    expect(await deps.db.prompt.count({ where: { projectId: p.id } })).toBe(0);
    expect(await deps.db.importBatch.count({ where: { projectId: p.id } })).toBe(1);
  });

  it("re-importing the same content creates no duplicates, within a file or across imports", async () => {
    const p = await project();
    const rows = [
      { prompt: "same", responses: ["a", "b"] },
      { prompt: "same", responses: ["a", "b"], meta: { differs: "only in meta" } },
      { prompt: "same", responses: ["a", "c"] },
    ];
    const first = await run(p.id, jsonl(rows));
    expect(first).toMatchObject({ imported: 2, duplicates: 1 });
    const again = await run(p.id, jsonl(rows));
    expect(again).toMatchObject({ imported: 0, duplicates: 3 });
    expect(await deps.db.task.count({ where: { projectId: p.id } })).toBe(2);
    // The same conversation is one prompt with two tasks (different candidate sets).
    expect(await deps.db.prompt.count({ where: { projectId: p.id } })).toBe(1);
  });

  it("keeps the judgement of pairs and hh files as an imported annotation with its pair", async () => {
    const p = await project(2);
    const convo = [{ role: "user" as const, content: "Capital of France?" }];
    const pairs = await run(
      p.id,
      jsonl([{ id: "x1", prompt: convo, chosen: [{ role: "assistant", content: "Paris." }], rejected: [{ role: "assistant", content: "Lyon." }], margin: 0.5 }]),
      "pairs",
    );
    const hh = await run(
      p.id,
      jsonl([{ chosen: toHhText([...convo, { role: "assistant", content: "It is Paris." }]), rejected: toHhText([...convo, { role: "assistant", content: "No idea." }]) }]),
      "hh",
    );
    expect(pairs.imported + hh.imported).toBe(2);
    const stored = await deps.db.preferencePair.findMany({
      where: { task: { projectId: p.id } },
      select: { margin: true, annotation: { select: { origin: true, annotatorId: true } }, chosenResponseId: true, rejectedResponseId: true },
    });
    expect(stored).toHaveLength(2);
    const contents = new Map((await deps.db.response.findMany({ where: { task: { projectId: p.id } } })).map((r) => [r.id, r.content]));
    const described = stored.map((s) => [contents.get(s.chosenResponseId), contents.get(s.rejectedResponseId), s.margin, s.annotation.origin]);
    expect(described).toEqual(expect.arrayContaining([["Paris.", "Lyon.", 0.5, "imported"], ["It is Paris.", "No idea.", 1, "imported"]]));
    // Imported judgements do not use up the human overlap.
    expect((await deps.db.task.findMany({ where: { projectId: p.id } })).every((t) => t.annotationCount === 0)).toBe(true);
  });

  it("rows sharing a prompt keep their own id, safety labels and meta through export", async () => {
    const p = await project(2);
    const rows = [
      { id: "a", prompt: "What is 2+2?", chosen: "4", rejected: "5", meta: { lang: "en" } },
      { id: "b", prompt: "What is 2+2?", chosen: "Four.", rejected: "22", safety: { promptPolicy: "allowed" }, meta: { lang: "de" } },
    ];
    expect(await run(p.id, jsonl(rows), "pairs")).toMatchObject({ imported: 2, errors: [] });
    let text = "";
    for await (const chunk of exportChunks(deps.db, { projectId: p.id, request: ZExportRequest.parse({ format: "pairs" }) })) text += chunk;
    const exported = text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string });
    expect(exported.sort((x, y) => x.id.localeCompare(y.id))).toEqual(rows.map((r) => ({ ...r, prompt: [{ role: "user", content: r.prompt }], chosen: [{ role: "assistant", content: r.chosen }], rejected: [{ role: "assistant", content: r.rejected }], margin: 1, source: "imported" })));
  });

  it("imports 10,000 rows in one streaming pass", async () => {
    const p = await project(2);
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ prompt: `Prompt ${i}`, responses: [`First answer ${i}`, `Second answer ${i}`] }));
    const s = await importJsonl(deps.db, {
      projectId: p.id,
      layout: "tasks",
      chunks: chunksOf(jsonl(rows), 64 * 1024),
      strict: true,
      filename: null,
      createdById: null,
    });
    expect(s).toMatchObject({ committed: true, imported: 10_000, duplicates: 0, errors: [] });
    expect(await deps.db.response.count({ where: { task: { projectId: p.id } } })).toBe(20_000);
  });
});

describe("import limits", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());
  const rows = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `q${i} ${tag}`, responses: ["a", "b"] })).join("\n");

  it("refuses an upload past the size limit with 413 and writes nothing", async () => {
    const p = await deps.db.project.create({ data: { name: `cap-${randomUUID()}`, k: 2 } });
    const text = rows(200, "big");
    const refused = importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: chunksOf(text), strict: false, filename: null, createdById: null, maxBytes: 1000 });
    await expect(refused).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/larger than 0 MB \(IMPORT_MAX_MB\).*Nothing was imported/) });
    expect(await deps.db.task.count({ where: { projectId: p.id } })).toBe(0);
    expect(await deps.db.importBatch.count({ where: { projectId: p.id } })).toBe(0);
    await expect(importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: chunksOf(text), strict: false, filename: null, createdById: null, maxBytes: text.length })).resolves.toMatchObject({ imported: 200 });
  });

  it("lets one person run a limited number of imports at once, across processes (counted in PostgreSQL)", async () => {
    const p = await deps.db.project.create({ data: { name: `slots-${randomUUID()}`, k: 2 } });
    const [a, b] = await Promise.all([createUser(deps, "admin"), createUser(deps, "admin")]);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    // A slow upload: its first chunk arrives, then it waits (its batch, and the slot, stay open).
    async function* slow() {
      yield `${rows(1, "slow")}\n`;
      started();
      await held;
      yield rows(1, "slow-end");
    }
    const first = importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: slow(), strict: false, filename: null, createdById: a.id, maxConcurrent: 1 });
    await running;
    await expect(importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: chunksOf(rows(1, "second")), strict: false, filename: null, createdById: a.id, maxConcurrent: 1 })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: expect.stringMatching(/1 import is already running for this person/),
    });
    // Someone else is not held up.
    await expect(importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: chunksOf(rows(1, "other")), strict: false, filename: null, createdById: b.id, maxConcurrent: 1 })).resolves.toMatchObject({ imported: 1 });
    release();
    await expect(first).resolves.toMatchObject({ imported: 2 });
    // The slot is free again once the first has committed.
    await expect(importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: chunksOf(rows(1, "third")), strict: false, filename: null, createdById: a.id, maxConcurrent: 1 })).resolves.toMatchObject({ imported: 1 });
  });
});

describe("POST /api/projects/{id}/import", () => {
  let deps: TestDeps;
  let POST: typeof import("../../app/api/projects/[projectId]/import/route").POST;
  beforeAll(async () => {
    deps = createTestDeps();
    vi.stubEnv("DATABASE_URL", deps.databaseUrl);
    vi.stubEnv("BETTER_AUTH_SECRET", testSecret);
    vi.stubEnv("APP_URL", testBaseUrl);
    ({ POST } = await import("../../app/api/projects/[projectId]/import/route"));
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await deps.db.$disconnect();
  });

  const upload = (projectId: string, body: string, query: string, cookie?: string) =>
    POST(new Request(`${testBaseUrl}/api/projects/${projectId}/import?${query}`, { method: "POST", body, headers: cookie ? { cookie } : {} }), {
      params: Promise.resolve({ projectId }),
    });

  it("answers an upload past IMPORT_MAX_MB with 413 and a message", async () => {
    const p = await deps.db.project.create({ data: { name: `rest-cap-${randomUUID()}`, k: 2 } });
    const admin = await createUser(deps, "admin");
    const cookie = await signIn(deps, admin.email, admin.password);
    vi.stubEnv("IMPORT_MAX_MB", "0.001");
    try {
      const body = Array.from({ length: 100 }, (_, i) => JSON.stringify({ prompt: `big ${i}`, responses: ["a", "b"] })).join("\n");
      const res = await upload(p.id, body, "layout=tasks", cookie);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(await deps.db.task.count({ where: { projectId: p.id } })).toBe(0);
    } finally {
      vi.stubEnv("IMPORT_MAX_MB", "1024");
    }
  });

  it("streams an upload from an admin and answers bad requests with 4xx and a message", async () => {
    const p = await deps.db.project.create({ data: { name: `rest-${randomUUID()}`, k: 2 } });
    const admin = await createUser(deps, "admin");
    const annotator = await createUser(deps, "annotator");
    const adminCookie = await signIn(deps, admin.email, admin.password);
    const body = jsonl([{ prompt: "a", responses: ["1", "2"] }, { prompt: "b", responses: ["1", "2"] }]);

    expect((await upload(p.id, body, "layout=tasks")).status).toBe(401);
    expect((await upload(p.id, body, "layout=tasks", await signIn(deps, annotator.email, annotator.password))).status).toBe(403);
    const badLayout = await upload(p.id, body, "layout=csv", adminCookie);
    expect(badLayout.status).toBe(400);
    expect((await badLayout.json()).error.message).toMatch(/layout must be/);
    expect((await upload(randomUUID(), body, "layout=tasks", adminCookie)).status).toBe(404);
    const strictBad = await upload(p.id, `${body}\n{"prompt": 1}`, "layout=tasks&strict=1", adminCookie);
    expect(strictBad.status).toBe(400);
    expect((await strictBad.json()).errors[0].line).toBe(3);
    expect(await deps.db.task.count({ where: { projectId: p.id } })).toBe(0);

    const ok = await upload(p.id, body, "layout=tasks&filename=two.jsonl", adminCookie);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ imported: 2, committed: true });
  });
});

describe("imports and the connection pool", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());
  const row = (tag: string) => `${JSON.stringify({ prompt: `q ${tag}`, responses: ["a", "b"] })}\n`;

  /** An upload whose first row arrives at once and whose rest waits for `release`. */
  function stalled(tag: string) {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const started = new Promise<void>((r) => (arrived = r));
    async function* body() {
      yield row(`${tag}-first`);
      arrived();
      await held;
      yield row(`${tag}-last`);
    }
    return { body: body(), started, release };
  }

  it("a stalled upload holds no transaction while it waits for the client", async () => {
    const p = await deps.db.project.create({ data: { name: `stall-${randomUUID()}`, k: 2 } });
    const upload = stalled("one");
    const done = importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: upload.body, strict: false, filename: null, createdById: null });
    await upload.started;
    const [open] = await deps.db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`;
    expect(open?.n).toBe(0);
    upload.release();
    await expect(done).resolves.toMatchObject({ committed: true, imported: 2 });
    expect(await deps.db.importStagedRow.count()).toBe(0);
  });

  it("twelve stalled uploads from twelve people leave the app its connections", async () => {
    const p = await deps.db.project.create({ data: { name: `pool-${randomUUID()}`, k: 2 } });
    const people = await Promise.all(Array.from({ length: 12 }, () => createUser(deps, "admin")));
    const uploads = people.map((person, i) => {
      const upload = stalled(`person-${i}`);
      return { ...upload, done: importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: upload.body, strict: false, filename: null, createdById: person.id }) };
    });
    await Promise.all(uploads.map((u) => u.started));
    // Ten held transactions would take the whole pool (10 connections): this read would wait for one.
    const read = deps.db.project.count({ where: { id: p.id } }).then((n) => `read ${n}`);
    const stuck = new Promise<string>((r) => setTimeout(() => r("still waiting for a connection"), 5_000));
    expect(await Promise.race([read, stuck])).toBe("read 1");
    for (const u of uploads) u.release();
    const summaries = await Promise.all(uploads.map((u) => u.done));
    expect(summaries.map((s) => s.imported)).toEqual(Array(12).fill(2));
    expect(await deps.db.task.count({ where: { projectId: p.id } })).toBe(24);
  });

  it("an upload abandoned mid-way is swept, frees its slot, and imports nothing", async () => {
    const p = await deps.db.project.create({ data: { name: `abandoned-${randomUUID()}`, k: 2 } });
    const person = await createUser(deps, "admin");
    const upload = stalled("gone");
    const done = importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: upload.body, strict: false, filename: null, createdById: person.id, maxConcurrent: 1 });
    await upload.started;
    // Its process stopped hearing from the client 11 minutes ago (the clock is the heartbeat's).
    await deps.db.importBatch.updateMany({ where: { projectId: p.id }, data: { heartbeatAt: new Date(Date.now() - 11 * 60_000) } });
    await expect(importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: chunksOf(row("next")), strict: false, filename: null, createdById: person.id, maxConcurrent: 1 })).resolves.toMatchObject({ imported: 1 });
    upload.release();
    await expect(done).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/was abandoned; nothing was imported/) });
    expect(await deps.db.task.count({ where: { projectId: p.id } })).toBe(1);
    expect(await deps.db.importBatch.findMany({ where: { projectId: p.id }, select: { status: true, imported: true } })).toEqual([{ status: "committed", imported: 1 }]);
  });
});

describe("text that cannot be stored, in an import", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("reports rows with NUL characters, lone surrogates or bad UTF-8 by line and imports the rest; the report itself is stored", async () => {
    const p = await deps.db.project.create({ data: { name: `nul-${randomUUID()}`, k: 2 } });
    const bytes = Buffer.concat([
      Buffer.from(`{"prompt":"fine","responses":["a","b"]}\n`),
      Buffer.from(`{"prompt":"x","responses":["a\\u0000","b"]}\n`),
      Buffer.from(`{"prompt": \u0000, "responses":["a","b"]}\n`),
      Buffer.from(`{"prompt":"y","responses":["\\udc00","b"]}\n`),
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]),
      Buffer.from(`{"prompt":"also fine","responses":["a","b"]}\n`),
    ]);
    async function* body() {
      yield new Uint8Array(bytes);
    }
    const s = await importJsonl(deps.db, { projectId: p.id, layout: "tasks", chunks: body(), strict: false, filename: null, createdById: null });
    expect(s).toMatchObject({ committed: true, imported: 2 });
    expect(s.errors).toEqual([
      { line: 2, error: "responses.0: contains a NUL character (U+0000), which cannot be stored" },
      { line: 3, error: expect.stringMatching(/^invalid JSON: .*\\u0000/) },
      { line: 4, error: "responses.0: contains a lone UTF-16 surrogate (U+DC00), which is not valid Unicode" },
      { line: 5, error: "the line is not valid UTF-8 (save the file as UTF-8)" },
    ]);
    const batch = await deps.db.importBatch.findUniqueOrThrow({ where: { id: s.batchId }, select: { errors: true } });
    expect(batch.errors).toEqual(s.errors);
  });
});
