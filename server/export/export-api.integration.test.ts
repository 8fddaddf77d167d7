// The /api/v1 routes called as Next.js would call them, against the test database.
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApiKey, revokeApiKey } from "../api-keys/service";
import { parseHhRow } from "../import/parse-hh-row";
import { importJsonl } from "../import/service";
import { parsePairsRow } from "../import/parse-pairs-row";
import { createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { ZExportRequest } from "./filter";
import { createSnapshot } from "./snapshots";

const requestsPerMinute = 30;
process.env.DATABASE_URL = inject("databaseUrl");
process.env.BETTER_AUTH_SECRET ??= "integration-tests-secret-0123456789abcdef";
process.env.API_KEY_REQUESTS_PER_MINUTE = String(requestsPerMinute);
process.env.API_KEY_SNAPSHOTS_PER_HOUR = "3";
process.env.ARTIFACT_DIR = await mkdtemp(path.join(tmpdir(), "rlhf-artifacts-"));

const exportRoute = await import("../../app/api/v1/projects/[projectId]/export/route");
const importRoute = await import("../../app/api/v1/projects/[projectId]/import/route");
const snapshotsRoute = await import("../../app/api/v1/projects/[projectId]/snapshots/route");
const snapshotFileRoute = await import("../../app/api/v1/projects/[projectId]/snapshots/[snapshotId]/file/route");
const consoleExportRoute = await import("../../app/api/projects/[projectId]/export/route");
const consoleSnapshotFileRoute = await import("../../app/api/projects/[projectId]/snapshots/[snapshotId]/file/route");
const consoleManifestRoute = await import("../../app/api/projects/[projectId]/snapshots/[snapshotId]/manifest/route");

const base = "http://localhost/api/v1/projects";
const params = <T extends Record<string, string>>(p: T) => ({ params: Promise.resolve(p) });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function exportText(projectId: string, query: string, key: string) {
  const res = await exportRoute.GET(new Request(`${base}/${projectId}/export?${query}`, { headers: bearer(key) }), params({ projectId }));
  expect(res.status).toBe(200);
  return res.text();
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const lines = (text: string) => text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe("export API", () => {
  let deps: TestDeps;
  let projectId: string;
  let otherProjectId: string;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    deps = createTestDeps();
    const admin = await createUser(deps, "admin");
    projectId = (await deps.db.project.create({ data: { name: `export-${randomUUID()}`, k: 2, overlap: 1 } })).id;
    otherProjectId = (await deps.db.project.create({ data: { name: `export-other-${randomUUID()}`, k: 2 } })).id;
    ({ key, id: keyId } = await createApiKey(deps.db, { name: "trainer", projectIds: [projectId], scopes: ["read", "write"] }, admin.id));
  });
  afterAll(() => deps.db.$disconnect());

  it("refuses a missing, unknown, revoked or foreign key with 401/403 and no data", async () => {
    const admin = await createUser(deps, "admin");
    const revoked = await createApiKey(deps.db, { name: "old", projectIds: [projectId] }, admin.id);
    await revokeApiKey(deps.db, { keyId: revoked.id }, admin.id);
    const foreign = await createApiKey(deps.db, { name: "other", projectIds: [otherProjectId] }, admin.id);
    for (const [headers, status, message] of [
      [{}, 401, "Send an API key as `Authorization: Bearer <key>`"],
      [bearer("rlhf_not-a-key"), 401, "This API key is not valid"],
      [bearer(revoked.key), 401, "This API key was revoked"],
      [bearer(foreign.key), 403, `This API key is not allowed to access project ${projectId}`],
    ] as const) {
      const res = await exportRoute.GET(new Request(`${base}/${projectId}/export?format=pairs`, { headers }), params({ projectId }));
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error: { code: status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", message } });
    }
    const bad = await exportRoute.GET(new Request(`${base}/${projectId}/export?format=csv`, { headers: bearer(key) }), params({ projectId }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain("format must be one of pairs, rankings, hh, openai-dpo, kto, sft");
  });

  it("a read key exports but cannot import or snapshot; expired keys and keys of deactivated owners stop working", async () => {
    const [owner, other] = await Promise.all([createUser(deps, "admin"), createUser(deps, "admin")]);
    const projectId = (await deps.db.project.create({ data: { name: `keys-${randomUUID()}`, k: 2 } })).id;
    const reader = await createApiKey(deps.db, { name: "reader", projectIds: [projectId] }, owner.id);
    expect(reader.scopes).toEqual(["read"]);
    expect((await exportRoute.GET(new Request(`${base}/${projectId}/export?format=pairs`, { headers: bearer(reader.key) }), params({ projectId }))).status).toBe(200);
    const batchesBefore = await deps.db.importBatch.count({ where: { projectId } });
    const refusedImport = await importRoute.POST(new Request(`${base}/${projectId}/import?layout=pairs`, { method: "POST", headers: bearer(reader.key), body: jsonl([{ prompt: "p", chosen: "a", rejected: "b" }]) }), params({ projectId }));
    expect(refusedImport.status).toBe(403);
    expect(await refusedImport.json()).toEqual({ error: { code: "FORBIDDEN", message: "This API key may read, not write" } });
    const refusedSnapshot = await snapshotsRoute.POST(new Request(`${base}/${projectId}/snapshots`, { method: "POST", headers: bearer(reader.key), body: JSON.stringify({ format: "pairs" }) }), params({ projectId }));
    expect(refusedSnapshot.status).toBe(403);
    expect(await deps.db.importBatch.count({ where: { projectId } })).toBe(batchesBefore);

    // A write key's import is recorded as its owner's, through that key.
    const writer = await createApiKey(deps.db, { name: "writer", projectIds: [projectId], scopes: ["write"] }, other.id);
    const ok = await importRoute.POST(new Request(`${base}/${projectId}/import?layout=pairs&filename=w.jsonl`, { method: "POST", headers: bearer(writer.key), body: jsonl([{ prompt: `keyed ${randomUUID()}`, chosen: "a", rejected: "b" }]) }), params({ projectId }));
    expect(ok.status).toBe(200);
    const { batchId } = (await ok.json()) as { batchId: string };
    expect(await deps.db.importBatch.findUniqueOrThrow({ where: { id: batchId } })).toMatchObject({ apiKeyId: writer.id, createdById: other.id });
    expect((await exportRoute.GET(new Request(`${base}/${projectId}/export?format=pairs`, { headers: bearer(writer.key) }), params({ projectId }))).status).toBe(403);

    // Expired, and owner deactivated.
    const expiring = await createApiKey(deps.db, { name: "short", projectIds: [projectId], expiresInDays: 1 }, owner.id);
    await deps.db.apiKey.update({ where: { id: expiring.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await exportRoute.GET(new Request(`${base}/${projectId}/export?format=pairs`, { headers: bearer(expiring.key) }), params({ projectId }));
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toMatch(/^This API key expired on /);
    await deps.db.user.update({ where: { id: owner.id }, data: { active: false } });
    const orphaned = await exportRoute.GET(new Request(`${base}/${projectId}/export?format=pairs`, { headers: bearer(reader.key) }), params({ projectId }));
    expect(orphaned.status).toBe(401);
    expect(((await orphaned.json()) as { error: { message: string } }).error.message).toMatch(/owner is deactivated/);
  });

  it("answers a JSON body past API_MAX_JSON_KB and an upload declaring more than IMPORT_MAX_MB with 413, writing nothing", async () => {
    const owner = await createUser(deps, "admin");
    const projectId = (await deps.db.project.create({ data: { name: `limits-${randomUUID()}`, k: 2 } })).id;
    const writer = await createApiKey(deps.db, { name: "limits", projectIds: [projectId], scopes: ["read", "write"] }, owner.id);
    const huge = JSON.stringify({ format: "pairs", tags: ["x".repeat(100 * 1024)] });
    const snapshot = await snapshotsRoute.POST(new Request(`${base}/${projectId}/snapshots`, { method: "POST", headers: bearer(writer.key), body: huge }), params({ projectId }));
    expect(snapshot.status).toBe(413);
    expect(((await snapshot.json()) as { error: { message: string } }).error.message).toBe("The body is larger than 64 KB (API_MAX_JSON_KB)");
    expect(await deps.db.snapshot.count({ where: { projectId } })).toBe(0);
    // 2 GB declared: refused from the header, before the body is read (this one never sends it).
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode(`${JSON.stringify({ prompt: `q ${pulled}`, responses: ["a", "b"] })}\n`));
      },
    });
    const upload = await importRoute.POST(
      new Request(`${base}/${projectId}/import?layout=tasks`, { method: "POST", headers: { ...bearer(writer.key), "content-length": String(2 * 1024 ** 3) }, body, duplex: "half" } as RequestInit),
      params({ projectId }),
    );
    expect(upload.status).toBe(413);
    expect(((await upload.json()) as { error: { message: string } }).error.message).toMatch(/larger than 1024 MB \(IMPORT_MAX_MB\)/);
    expect(pulled).toBeLessThan(5);
    expect(await deps.db.importBatch.count({ where: { projectId } })).toBe(0);
  });

  it("snapshots stop at the project's quota (507) and at each key's hourly rate (429), writing nothing", async () => {
    const owner = await createUser(deps, "admin");
    const projectId = (await deps.db.project.create({ data: { name: `quota-${randomUUID()}`, k: 2 } })).id;
    const writer = await createApiKey(deps.db, { name: "snapshots", projectIds: [projectId], scopes: ["read", "write"] }, owner.id);
    const post = () => snapshotsRoute.POST(new Request(`${base}/${projectId}/snapshots`, { method: "POST", headers: bearer(writer.key), body: JSON.stringify({ format: "pairs" }) }), params({ projectId }));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post()).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const limited = await post();
    expect(((await limited.json()) as { error: { message: string } }).error.message).toMatch(/created its 3 snapshots for this hour/);
    expect(await deps.db.snapshot.count({ where: { projectId } })).toBe(3);

    // A quota already used up refuses before writing; one a snapshot would exceed stops while writing.
    const dataProject = (await deps.db.project.create({ data: { name: `quota-data-${randomUUID()}`, k: 2 } })).id;
    const rows = Array.from({ length: 5 }, (_, i) => ({ prompt: `question ${i}`, chosen: `good answer ${i}`, rejected: `bad answer ${i}` }));
    await importJsonl(deps.db, { projectId: dataProject, layout: "pairs", chunks: (async function* () { yield rows.map((r) => JSON.stringify(r)).join("\n"); })(), strict: true, filename: null, createdById: null });
    const artifactDir = process.env.ARTIFACT_DIR!;
    const request = ZExportRequest.parse({ format: "pairs" });
    const first = await createSnapshot(deps.db, { projectId: dataProject, request, artifactDir });
    expect(first.bytes).toBeGreaterThan(10);
    const files = async () => (await readdir(path.join(artifactDir, "snapshots", dataProject))).length;
    const state = async () => ({ rows: await deps.db.snapshot.count({ where: { projectId: dataProject } }), files: await files() });
    const before = await state();
    await expect(createSnapshot(deps.db, { projectId: dataProject, request, artifactDir, quotaBytes: first.bytes })).rejects.toMatchObject({
      code: "QUOTA_EXCEEDED",
      message: expect.stringMatching(/of its 0\.0 MB quota \(SNAPSHOT_QUOTA_MB_PER_PROJECT\); nothing was written/),
    });
    await expect(createSnapshot(deps.db, { projectId: dataProject, request, artifactDir, quotaBytes: first.bytes + 10 })).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
    expect(await state()).toEqual(before);
  });

  it("limits each key's requests per minute with 429", async () => {
    const admin = await createUser(deps, "admin");
    const limited = await createApiKey(deps.db, { name: "busy", projectIds: [projectId] }, admin.id);
    const statuses = [];
    for (let i = 0; i < requestsPerMinute + 2; i++) {
      const res = await snapshotsRoute.GET(new Request(`${base}/${projectId}/snapshots`, { headers: bearer(limited.key) }), params({ projectId }));
      statuses.push(res.status);
      if (res.status === 429) expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Rate limit of 30 requests per minute/);
    }
    expect(statuses.slice(0, requestsPerMinute).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(requestsPerMinute)).toEqual([429, 429]);
    // Another key is not affected.
    const other = await snapshotsRoute.GET(new Request(`${base}/${projectId}/snapshots`, { headers: bearer(key) }), params({ projectId }));
    expect(other.status).toBe(200);
  });

  it("round trip: a pairs file and an hh file import and export as the same records", async () => {
    const pairsRows = [
      { id: "p1", prompt: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hi in Japanese 🇯🇵" }], chosen: [{ role: "assistant", content: "こんにちは" }], rejected: [{ role: "assistant", content: "Hello" }], margin: 0.5, meta: { lang: "ja" } },
      { id: "p2", prompt: "What is 2+2?", chosen: "4", rejected: "5", margin: 1 },
    ];
    const imported = await importRoute.POST(new Request(`${base}/${projectId}/import?layout=pairs&strict=1`, { method: "POST", headers: bearer(key), body: jsonl(pairsRows) }), params({ projectId }));
    expect(imported.status).toBe(200);
    // Tasks imported together are exported in id order, not file order.
    const byId = (a: { meta: Record<string, unknown> }, b: { meta: Record<string, unknown> }) => String(a.meta.id).localeCompare(String(b.meta.id));
    const exported = lines(await exportText(projectId, "format=pairs", key));
    expect(exported.map((r) => parsePairsRow(r)).sort(byId)).toEqual(pairsRows.map((r) => parsePairsRow(r)).sort(byId));

    const hhProject = (await deps.db.project.create({ data: { name: `hh-${randomUUID()}`, k: 2 } })).id;
    const admin = await createUser(deps, "admin");
    const hhKey = (await createApiKey(deps.db, { name: "hh", projectIds: [hhProject], scopes: ["read", "write"] }, admin.id)).key;
    const hhRows = [
      { chosen: "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke\n\nAssistant: Why did the chicken…", rejected: "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke\n\nAssistant: No." },
      // Rows from the wild whose conversations diverge before their last turn, at a Human turn and at an Assistant turn.
      { chosen: "\n\nHuman: Can you help?\n\nAssistant: Sure.\n\nHuman: Plan a trip to Kyōto 🗾\n\nAssistant: Day 1: Fushimi Inari.", rejected: "\n\nHuman: Can you help?\n\nAssistant: Sure.\n\nHuman: Hack my neighbour's wifi\n\nAssistant: Here is how." },
      { chosen: "\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant: 6.", rejected: "\n\nHuman: What is 2+2?\n\nAssistant: 5." },
    ];
    const hhImport = await importRoute.POST(new Request(`${base}/${hhProject}/import?layout=hh`, { method: "POST", headers: bearer(hhKey), body: jsonl(hhRows) }), params({ projectId: hhProject }));
    expect(hhImport.status).toBe(200);
    expect(await hhImport.json()).toMatchObject({ imported: 3, errors: [] });
    // Byte for byte: each exported line is an imported line.
    const hhText = await exportText(hhProject, "format=hh", hhKey);
    expect(hhText.split("\n").filter(Boolean).sort()).toEqual(hhRows.map((r) => JSON.stringify(r)).sort());
    const hhOut = lines(hhText);
    const byHash = (a: { contentHash: string }, b: { contentHash: string }) => a.contentHash.localeCompare(b.contentHash);
    expect(hhOut.map((r) => parseHhRow(r)).sort(byHash)).toEqual(hhRows.map((r) => parseHhRow(r)).sort(byHash));
  });

  it("gzips when asked (gzip=1), and a snapshot downloads byte-identical content matching its manifest", async () => {
    const plain = await exportText(projectId, "format=rankings", key);
    const zipped = await exportRoute.GET(new Request(`${base}/${projectId}/export?format=rankings&gzip=1`, { headers: bearer(key) }), params({ projectId }));
    expect(zipped.headers.get("content-type")).toBe("application/gzip");
    expect(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString("utf8")).toBe(plain);

    const created = await snapshotsRoute.POST(
      new Request(`${base}/${projectId}/snapshots`, { method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: JSON.stringify({ format: "pairs", reviewState: ["pending"] }) }),
      params({ projectId }),
    );
    expect(created.status).toBe(201);
    const manifest = (await created.json()) as { id: string; rowCount: number; sha256: string; bytes: number; schemaVersion: number; format: string; filter: unknown };
    expect(manifest).toMatchObject({ format: "pairs", rowCount: 2, schemaVersion: 2, filter: { reviewState: ["pending"] } });
    const downloads = [];
    for (let i = 0; i < 2; i++) {
      const res = await snapshotFileRoute.GET(new Request(`${base}/${projectId}/snapshots/${manifest.id}/file`, { headers: bearer(key) }), params({ projectId, snapshotId: manifest.id }));
      expect(res.status).toBe(200);
      downloads.push(Buffer.from(await res.arrayBuffer()));
    }
    expect(downloads[0]!.equals(downloads[1]!)).toBe(true);
    expect(createHash("sha256").update(downloads[0]!).digest("hex")).toBe(manifest.sha256);
    expect(downloads[0]!.length).toBe(manifest.bytes);

    // New data after the snapshot does not change it.
    await importRoute.POST(new Request(`${base}/${projectId}/import?layout=pairs`, { method: "POST", headers: bearer(key), body: jsonl([{ prompt: "Later", chosen: "a", rejected: "b" }]) }), params({ projectId }));
    const again = await snapshotFileRoute.GET(new Request(`${base}/${projectId}/snapshots/${manifest.id}/file`, { headers: bearer(key) }), params({ projectId, snapshotId: manifest.id }));
    expect(Buffer.from(await again.arrayBuffer()).equals(downloads[0]!)).toBe(true);
    expect(lines(await exportText(projectId, "format=pairs", key))).toHaveLength(3);

    const foreign = await snapshotFileRoute.GET(new Request(`${base}/${otherProjectId}/snapshots/${manifest.id}/file`, { headers: bearer(key) }), params({ projectId: otherProjectId, snapshotId: manifest.id }));
    expect(foreign.status).toBe(403);
  });

  it("keeps the key's last use", async () => {
    const row = await deps.db.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    expect(row.lastUsedAt).not.toBeNull();
  });
});

describe("export downloads from the console", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("an admin downloads the same stream as the API and a snapshot with its manifest; others are refused", async () => {
    const admin = await createUser(deps, "admin");
    const projectId = (await deps.db.project.create({ data: { name: `console-export-${randomUUID()}`, k: 2 } })).id;
    const rows = [0, 1, 2].map((i) => ({ prompt: `question ${i}`, chosen: `good ${i}`, rejected: `bad ${i}` }));
    await importJsonl(deps.db, { projectId, layout: "pairs", chunks: (async function* () { yield jsonl(rows); })(), strict: true, filename: null, createdById: admin.id });
    const { key } = await createApiKey(deps.db, { name: "compare", projectIds: [projectId] }, admin.id);
    const cookie = await signIn(deps, admin.email, admin.password);
    const consoleUrl = `http://localhost/api/projects/${projectId}/export?format=pairs`;

    const download = await consoleExportRoute.GET(new Request(consoleUrl, { headers: { cookie } }), params({ projectId }));
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toBe(`attachment; filename="${projectId}-pairs.jsonl"`);
    expect(await download.text()).toBe(await exportText(projectId, "format=pairs", key));
    const zipped = await consoleExportRoute.GET(new Request(`${consoleUrl}&gzip=1`, { headers: { cookie } }), params({ projectId }));
    expect(lines(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString("utf8"))).toHaveLength(3);
    const bad = await consoleExportRoute.GET(new Request(`http://localhost/api/projects/${projectId}/export?format=csv`, { headers: { cookie } }), params({ projectId }));
    expect(bad.status).toBe(400);

    const reviewer = await createUser(deps, "reviewer");
    const refusals = [
      await consoleExportRoute.GET(new Request(consoleUrl), params({ projectId })),
      await consoleExportRoute.GET(new Request(consoleUrl, { headers: { cookie: await signIn(deps, reviewer.email, reviewer.password) } }), params({ projectId })),
    ];
    expect(refusals.map((r) => r.status)).toEqual([401, 403]);

    const snapshot = await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "pairs" }), artifactDir: process.env.ARTIFACT_DIR!, createdById: admin.id });
    const file = await consoleSnapshotFileRoute.GET(new Request(`http://localhost/api/projects/${projectId}/snapshots/${snapshot.id}/file`, { headers: { cookie } }), params({ projectId, snapshotId: snapshot.id }));
    expect(file.status).toBe(200);
    expect(createHash("sha256").update(Buffer.from(await file.arrayBuffer())).digest("hex")).toBe(snapshot.sha256);
    const manifest = await consoleManifestRoute.GET(new Request(`http://localhost/api/projects/${projectId}/snapshots/${snapshot.id}/manifest`, { headers: { cookie } }), params({ projectId, snapshotId: snapshot.id }));
    expect(manifest.headers.get("content-disposition")).toBe(`attachment; filename="snapshot-${snapshot.id}.manifest.json"`);
    expect(await manifest.json()).toMatchObject({ id: snapshot.id, sha256: snapshot.sha256, rowCount: 3, format: "pairs" });
  });
});
