// Every tRPC procedure and every app/api route, fed the corpus in server/test/corpus/hostile-input.json:
// no answer may be a 5xx or show the server's internals, and a refused call changes nothing in the
// database. Procedures are read from the router and routes from the file tree, so new ones are
// covered without editing this file.
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiKey } from "../api-keys/service";
import { importJsonl } from "../import/service";
import { createTestDeps, createUser, signIn, testBaseUrl, testSecret, type TestDeps } from "../test/harness";
import { appRouter } from "./root";

type CorpusValue = { name: string; value?: unknown; repeat?: { text: string; times: number }; repeatArray?: { item: unknown; times: number }; special?: "NaN" | "Infinity" | "-Infinity"; nest?: number };
type CorpusBody = { name: string; text?: string; bytes?: number[] };
const corpus = JSON.parse(readFileSync(path.join(__dirname, "../test/corpus/hostile-input.json"), "utf8")) as { values: CorpusValue[]; bodies: CorpusBody[] };

function valueOf(c: CorpusValue): unknown {
  if (c.repeat) return c.repeat.text.repeat(c.repeat.times);
  if (c.repeatArray) return Array<unknown>(c.repeatArray.times).fill(c.repeatArray.item);
  if (c.special) return { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY }[c.special];
  if (c.nest) {
    let v: unknown = "bottom";
    for (let i = 0; i < c.nest; i++) v = [v];
    return v;
  }
  return c.value;
}
const bodyOf = (b: CorpusBody): BodyInit => (b.bytes ? new Uint8Array(b.bytes) : b.text!);

/** superjson's wire form; a value it refuses to write (a `__proto__` key) goes as plain JSON. */
function serialized(input: unknown): unknown {
  try {
    return superjson.serialize(input);
  } catch {
    return { json: input };
  }
}

/** encodeURIComponent, except that a lone surrogate (which a URL cannot hold) goes as the invalid UTF-8 it would be. */
function encodeLoose(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return Array.from(s, (ch) => (/[\uD800-\uDFFF]/.test(ch) ? "%ED%A0%80" : encodeURIComponent(ch))).join("");
  }
}

// What no error answer may contain: stacks, source paths, Prisma's or PostgreSQL's own words.
const internals = /prisma|node_modules|invocation|\bat \S+ \(|\.tsx?:\d+|\/(home|tmp|work|usr|srv|app)\/|\bSELECT\b|\bINSERT INTO\b|violates|constraint/i;

type Procedure = { _def: { type: "query" | "mutation" | "subscription"; inputs: { shape?: Record<string, unknown> }[] } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, Procedure>).sort(([a], [b]) => a.localeCompare(b));

/** Route files under app/api, with their path parameters, e.g. v1/projects/[projectId]/export. */
function routeFiles(): { file: string; segments: string[] }[] {
  const root = path.join(__dirname, "../../app/api");
  const found: { file: string; segments: string[] }[] = [];
  const walk = (dir: string, segments: string[]) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name), [...segments, entry.name]);
      else if (entry.name === "route.ts") found.push({ file: path.join(dir, entry.name), segments });
    }
  };
  walk(root, []);
  return found.sort((a, b) => a.file.localeCompare(b.file));
}

describe("hostile input", () => {
  let deps: TestDeps;
  let trpcRoute: { GET: (req: Request) => Promise<Response>; POST: (req: Request) => Promise<Response> };
  const journal = "hostile_input_journal";
  const lastWrite = async () => (await deps.db.$queryRawUnsafe<{ id: bigint | null }[]>(`SELECT max(id) AS id FROM ${journal}.write`))[0]?.id ?? 0n;
  /** What was written since journal row `mark`, as "table: count OP" per table and operation. */
  const writesSince = async (mark: bigint) =>
    (await deps.db.$queryRawUnsafe<{ tbl: string; op: string; n: bigint }[]>(`SELECT tbl, op, count(*) AS n FROM ${journal}.write WHERE id > $1 GROUP BY tbl, op ORDER BY tbl, op`, mark)).map(
      (r) => `${r.tbl}: ${r.n} ${r.op}`,
    );
  const ctx = {} as { adminCookie: string; memberCookie: string; apiKey: string; projectA: string; projectB: string; annotationB: string };

  beforeAll(async () => {
    deps = createTestDeps();
    vi.stubEnv("DATABASE_URL", deps.databaseUrl);
    vi.stubEnv("BETTER_AUTH_SECRET", testSecret);
    vi.stubEnv("APP_URL", testBaseUrl);
    vi.stubEnv("ANONYMOUS_CALLS_PER_MINUTE", "1000000");
    trpcRoute = await import("../../app/api/trpc/[trpc]/route");

    const [admin, member, other] = await Promise.all([createUser(deps, "admin"), createUser(deps, "annotator"), createUser(deps, "annotator")]);
    const [a, b] = [await deps.db.project.create({ data: { name: `hostile-a-${randomUUID()}`, k: 2 } }), await deps.db.project.create({ data: { name: `hostile-b-${randomUUID()}`, k: 2 } })];
    for (const p of [a, b]) {
      async function* rows() {
        yield `${JSON.stringify({ prompt: `question ${p.id}`, chosen: "good answer", rejected: "bad answer" })}\n${JSON.stringify({ prompt: `open ${p.id}`, responses: ["one", "two"] })}\n`;
      }
      await importJsonl(deps.db, { projectId: p.id, layout: "pairs", chunks: rows(), strict: false, filename: null, createdById: null });
    }
    await deps.db.projectMember.createMany({ data: [{ projectId: a.id, userId: member.id }, { projectId: b.id, userId: other.id }] });
    const annotationB = await deps.db.annotation.findFirstOrThrow({ where: { task: { projectId: b.id } }, select: { id: true } });
    const key = await createApiKey(deps.db, { name: "hostile", projectIds: [a.id], scopes: ["read", "write"] }, admin.id);
    Object.assign(ctx, {
      adminCookie: await signIn(deps, admin.email, admin.password),
      memberCookie: await signIn(deps, member.email, member.password),
      apiKey: key.key,
      projectA: a.id,
      projectB: b.id,
      annotationB: annotationB.id,
    });

    // Every insert, update, delete or truncate of a data table leaves a row in a journal (written by
    // row triggers, inside the writer's transaction: a write that is rolled back leaves nothing).
    // Request counters (rate limits) and session bookkeeping are not data and are left out, and so is
    // an API key's lastUsedAt. The journal lives in its own schema, dropped once the file is done.
    const tables = await deps.db.$queryRaw<{ name: string }[]>`
      SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()
        AND tablename NOT IN ('rate_limit', 'session', 'verification', '_prisma_migrations') ORDER BY tablename`;
    await deps.db.$executeRawUnsafe(`DROP SCHEMA IF EXISTS ${journal} CASCADE`);
    await deps.db.$executeRawUnsafe(`CREATE SCHEMA ${journal}`);
    await deps.db.$executeRawUnsafe(`CREATE TABLE ${journal}.write (id bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL)`);
    await deps.db.$executeRawUnsafe(`CREATE FUNCTION ${journal}.record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'api_key' AND (to_jsonb(OLD) - 'lastUsedAt') = (to_jsonb(NEW) - 'lastUsedAt') THEN RETURN NULL; END IF;
        INSERT INTO ${journal}.write (tbl, op) VALUES (TG_TABLE_NAME, TG_OP);
        RETURN NULL;
      END $$`);
    for (const t of tables) {
      await deps.db.$executeRawUnsafe(`CREATE TRIGGER hostile_write AFTER INSERT OR UPDATE OR DELETE ON "${t.name}" FOR EACH ROW EXECUTE FUNCTION ${journal}.record()`);
      await deps.db.$executeRawUnsafe(`CREATE TRIGGER hostile_truncate AFTER TRUNCATE ON "${t.name}" FOR EACH STATEMENT EXECUTE FUNCTION ${journal}.record()`);
    }
    // The journal sees a write, and forgets one that is rolled back.
    const mark = await lastWrite();
    await deps.db.project.update({ where: { id: a.id }, data: { name: a.name } });
    await deps.db.$transaction(async (tx) => {
      await tx.project.update({ where: { id: b.id }, data: { name: b.name } });
      throw new Error("rolled back");
    }).catch(() => undefined);
    expect(await writesSince(mark)).toEqual(["project: 1 UPDATE"]);
  }, 120_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await deps.db.$executeRawUnsafe(`DROP SCHEMA IF EXISTS ${journal} CASCADE`);
    await deps.db.$disconnect();
  });

  const failures: string[] = [];
  async function check(label: string, send: () => Promise<Response>) {
    const mark = await lastWrite();
    const res = await send();
    const text = await res.text();
    if (res.status >= 500) failures.push(`${label}: ${res.status} ${text.slice(0, 300)}`);
    if (res.status >= 400 && internals.test(text)) failures.push(`${label}: internals in ${res.status}: ${text.slice(0, 300)}`);
    if (res.status >= 400 && res.status < 500) {
      const writes = await writesSince(mark);
      if (writes.length) failures.push(`${label}: refused with ${res.status} but the database changed (${writes.join("; ")})`);
    }
    return res.status;
  }

  function trpcCall(procedure: string, type: string, cookie: string, input: { serialized?: unknown; raw?: BodyInit }) {
    const headers = { cookie, "content-type": "application/json" };
    if (type === "query") {
      const text = input.raw !== undefined ? (typeof input.raw === "string" ? input.raw : Buffer.from(input.raw as Uint8Array).toString("latin1")) : JSON.stringify(input.serialized);
      return trpcRoute.GET(new Request(`${testBaseUrl}/api/trpc/${procedure}?input=${encodeLoose(text)}`, { headers }));
    }
    return trpcRoute.POST(new Request(`${testBaseUrl}/api/trpc/${procedure}`, { method: "POST", headers, body: input.raw ?? JSON.stringify(input.serialized) }));
  }

  it(`sends ${corpus.values.length} values and ${corpus.bodies.length} bodies to every one of the ${procedures.length} tRPC procedures: no 5xx, no internals, refusals change nothing`, async () => {
    failures.length = 0;
    let calls = 0;
    for (const [name, proc] of procedures) {
      const fields = Object.keys(proc._def.inputs[0]?.shape ?? {});
      for (const c of corpus.values) {
        const value = valueOf(c);
        const inputs: [string, unknown][] = [["as the input", value]];
        if (fields.length) inputs.push([`in every field (${fields.join(", ")})`, Object.fromEntries(fields.map((f) => [f, value]))]);
        for (const [where, input] of inputs) {
          await check(`${name} ${c.name} ${where}`, () => trpcCall(name, proc._def.type, ctx.adminCookie, { serialized: serialized(input) }));
          calls++;
        }
      }
      for (const b of corpus.bodies) {
        await check(`${name} body: ${b.name}`, () => trpcCall(name, proc._def.type, ctx.adminCookie, { raw: bodyOf(b) }));
        calls++;
      }
      // Ids of another project, as a member of one project only.
      if (fields.includes("projectId") || fields.includes("annotationId")) {
        const input = { projectId: ctx.projectB, annotationId: ctx.annotationB };
        const status = await check(`${name} with another project's ids`, () => trpcCall(name, proc._def.type, ctx.memberCookie, { serialized: serialized(input) }));
        expect.soft(status, `${name} with another project's ids`).toBeGreaterThanOrEqual(400);
        calls++;
      }
    }
    expect(failures).toEqual([]);
    console.log(`hostile input: ${calls} tRPC calls over ${procedures.length} procedures`);
  }, 600_000);

  it("sends the corpus to every app/api route as path parameters, query values and bodies", async () => {
    failures.length = 0;
    const routes = routeFiles();
    let calls = 0;
    const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
    for (const route of routes) {
      if (route.segments[0] === "trpc") continue; // covered procedure by procedure above
      const mod = (await import(route.file)) as Partial<Record<(typeof methods)[number], (req: Request, ctx: { params: Promise<Record<string, unknown>> }) => Promise<Response>>>;
      const params = route.segments.filter((s) => s.startsWith("[")).map((s) => s.replace(/^\[(\.\.\.)?|\]$/g, ""));
      const catchAll = route.segments.some((s) => s.startsWith("[..."));
      const urlOf = (values: Record<string, string>, query = "") =>
        `${testBaseUrl}/api/${route.segments.map((s) => (s.startsWith("[") ? encodeLoose(values[s.replace(/^\[(\.\.\.)?|\]$/g, "")] ?? "x") : s)).join("/")}${query}`;
      const auth = { authorization: `Bearer ${ctx.apiKey}`, cookie: ctx.adminCookie, origin: testBaseUrl };
      for (const method of methods) {
        const handler = mod[method];
        if (!handler) continue;
        const send = (values: Record<string, string>, query: string, body?: BodyInit) => () =>
          handler(new Request(urlOf(values, query), { method, headers: auth, body: method === "GET" ? undefined : body }), {
            params: Promise.resolve(Object.fromEntries(params.map((p) => [p, catchAll && p === params.at(-1) ? [values[p] ?? "x"] : (values[p] ?? ctx.projectA)]))),
          });
        for (const c of corpus.values) {
          const v = valueOf(c);
          const text = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
          const asParams = Object.fromEntries(params.map((p) => [p, text.slice(0, 2000)]));
          await check(`${method} ${route.segments.join("/")} params: ${c.name}`, send(asParams, ""));
          const query = `?${new URLSearchParams({ format: text.slice(0, 2000), layout: text.slice(0, 2000), strict: text.slice(0, 100), gzip: text.slice(0, 100), limit: text.slice(0, 100) })}`;
          await check(`${method} ${route.segments.join("/")} query: ${c.name}`, send({}, query, JSON.stringify(v)));
          calls += 2;
        }
        for (const b of corpus.bodies) {
          await check(`${method} ${route.segments.join("/")} body: ${b.name}`, send({}, "", bodyOf(b)));
          calls++;
        }
      }
    }
    expect(failures).toEqual([]);
    console.log(`hostile input: ${calls} calls over ${routes.length - 1} routes`);
  }, 600_000);
});
