import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { smollmPolicy } from "../server/models/builtin-models";
import { callTrpc, expect, signInThroughApi, test, tinyWords } from "./fixtures";

const hostile = ["<script>alert(1)</script>", "<img", "src=x", "onerror=alert(2)>"];

/** A tiny policy that can only say the hostile words (every other token is suppressed by its generation config). */
async function hostilePolicy(): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), "rlhf-e2e-hostile-")), "hostile-policy");
  const script = [
    "import json, pathlib",
    "from trainer.tiny import make_tiny_causal_lm",
    "from transformers import AutoTokenizer",
    `d = make_tiny_causal_lm(${JSON.stringify(dir)}, ${JSON.stringify([...tinyWords, ...hostile])})`,
    "tok = AutoTokenizer.from_pretrained(str(d))",
    `keep = set(tok.convert_tokens_to_ids(${JSON.stringify(hostile)}))`,
    "p = pathlib.Path(d) / 'generation_config.json'",
    "cfg = json.loads(p.read_text())",
    "cfg['suppress_tokens'] = [i for i in range(len(tok)) if i not in keep]",
    "p.write_text(json.dumps(cfg))",
  ].join("\n");
  await promisify(execFile)(path.resolve(".venv/bin/python"), ["-c", script], { cwd: path.resolve("workers/trainer") });
  return dir;
}

test("an admin serves two policies and chats with both side by side; a hostile answer shows as text", async ({ page, baseURL, db, makeUser }) => {
  test.setTimeout(180_000);
  const admin = await makeUser("admin");
  // The built-in policy (a tiny one in these tests), and a second version to compare it with.
  await db.modelVersion.upsert({ where: { id: smollmPolicy.id }, create: { id: smollmPolicy.id, name: smollmPolicy.name, kind: "policy", path: smollmPolicy.path, builtin: true }, update: {} });
  const other = await db.modelVersion.create({ data: { kind: "policy", name: `hostile-${randomUUID().slice(0, 8)}`, path: await hostilePolicy() }, select: { id: true, name: true } });
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  // Serve the built-in policy from its model page, the other one through the same procedure.
  await page.goto("/admin/models");
  await page.getByRole("button", { name: smollmPolicy.name, exact: true }).click();
  const detail = page.getByTestId("model-detail");
  await detail.getByRole("button", { name: "Serve" }).click();
  await expect(detail.getByTestId("serve-started")).toContainText("Serving in run");
  const second = await callTrpc<{ id: string }>(page.request, "runs.start", { kind: "serve", payload: { modelVersionId: other.id } });
  // A second serve job for a served version is refused with a message.
  await detail.getByRole("button", { name: "Serve" }).click();
  await expect(detail.getByRole("alert")).toContainText("is already served");

  try {
    await page.goto("/playground");
    await page.getByLabel("Side by side").check();
    for (const [label, name] of [
      ["Model 1", smollmPolicy.name],
      ["Model 2", other.name],
    ] as const) {
      const select = page.getByLabel(label, { exact: true });
      await expect(select.locator("option", { hasText: name })).toBeEnabled({ timeout: 90_000 });
      await select.selectOption({ label: `${name} (policy)` });
    }
    await page.getByLabel("Max tokens").fill("12");
    for (const turn of ["good question", "helpful answer"]) {
      await page.getByLabel("Your message").fill(turn);
      await page.getByRole("button", { name: "Send" }).click();
      await expect(page.getByRole("button", { name: "Send" })).toHaveText("Send", { timeout: 60_000 });
    }
    for (const column of [page.getByTestId("column-0"), page.getByTestId("column-1")]) {
      await expect(column.getByTestId("user-message")).toHaveText([/good question/, /helpful answer/]);
      await expect(column.getByTestId("assistant-message")).toHaveCount(2);
      await expect(column.getByTestId("answer-stats").first()).toContainText(/first token \d+ ms/);
    }
    // The hostile model's markup is shown as the text it is: no element is made of it, no script runs.
    const hostileColumn = page.getByTestId("column-1");
    await expect(hostileColumn.getByTestId("assistant-message").first()).toContainText(/<script>alert\(1\)<\/script>|<img|onerror=alert\(2\)>/);
    await expect(hostileColumn.locator("script, img")).toHaveCount(0);
    expect(dialogs).toEqual([]);

    // The export holds each column's conversation.
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export JSON" }).click();
    const exported = JSON.parse(await readFile(await (await download).path(), "utf8")) as { modelVersionId: string; messages: { role: string }[] }[];
    expect(exported.map((c) => c.modelVersionId)).toEqual([smollmPolicy.id, other.id]);
    expect(exported[1]!.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
  } finally {
    const jobs = await db.job.findMany({ where: { kind: "serve", state: { in: ["queued", "running"] } }, select: { id: true } });
    for (const job of jobs) await callTrpc(page.request, "jobs.cancel", { id: job.id }).catch(() => undefined);
    expect(jobs.map((j) => j.id)).toContain(second.id);
  }
});
