import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runTrainerProcess } from "./trainer-process";

// A stand-in for the trainer package: `python -m trainer <command> --config file` with a `mode`.
const fakeTrainer = `
import json, os, signal, sys, time
cfg = json.load(open(sys.argv[sys.argv.index("--config") + 1]))
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, signal.SIG_IGN if cfg["mode"] == "stubborn" else on_term)
def emit(**e):
    print(json.dumps(e), flush=True)
print("loading", file=sys.stderr, flush=True)
if cfg["mode"] == "parent":
    emit(event="done", parent=os.environ.get("TRAINER_PARENT_PID"), ppid=os.getppid())
    sys.exit(0)
if cfg["mode"] == "env":
    emit(event="done", env=sorted(os.environ))
    sys.exit(0)
if cfg["mode"] == "fail":
    emit(event="error", message="bad snapshot")
    sys.exit(2)
for step in range(1, 1000):
    emit(event="metric", step=step, name="train/loss", value=1.0 / step)
    if cfg["mode"] == "quick" and step == 3:
        break
    if stop:
        emit(event="checkpoint", step=step, path="c")
        emit(event="done", command=sys.argv[1], interrupted=True)
        sys.exit(0)
    time.sleep(0.05)
emit(event="done", command=sys.argv[1], interrupted=False)
`;

const python = "python3";

describe("runTrainerProcess", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), "fake-trainer-"));
    await mkdir(path.join(cwd, "trainer"));
    await writeFile(path.join(cwd, "trainer", "__init__.py"), "");
    await writeFile(path.join(cwd, "trainer", "__main__.py"), fakeTrainer);
  });

  async function run(mode: string, opts: { abortAfterMs?: number; killAfterMs?: number; python?: string } = {}) {
    const configPath = path.join(cwd, `${mode}.json`);
    await writeFile(configPath, JSON.stringify({ mode }));
    const stdout: string[] = [];
    const stderr: string[] = [];
    const controller = new AbortController();
    if (opts.abortAfterMs !== undefined) setTimeout(() => controller.abort(), opts.abortAfterMs);
    const exit = await runTrainerProcess({
      python: opts.python ?? python,
      command: "reward",
      configPath,
      cwd,
      signal: controller.signal,
      killAfterMs: opts.killAfterMs,
      onStdoutLine: (l) => stdout.push(l),
      onStderrLine: (l) => stderr.push(l),
    });
    return { exit, stdout: stdout.map((l) => JSON.parse(l) as Record<string, unknown>), stderr };
  }

  it("hands back every stdout and stderr line and the exit status", async () => {
    const { exit, stdout, stderr } = await run("quick");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stdout.map((e) => e.event)).toEqual(["metric", "metric", "metric", "done"]);
    expect(stdout.at(-1)).toMatchObject({ command: "reward" });
    expect(stderr).toEqual(["loading"]);
  });

  it("tells the trainer the worker's pid, which the trainer watches to stop when the worker is killed", async () => {
    const { stdout } = await run("parent");
    expect(stdout).toEqual([{ event: "done", parent: String(process.pid), ppid: process.pid }]);
  });

  it("passes the trainer what Python, PyTorch and CUDA read, and none of the worker's credentials", async () => {
    const saved = { ...process.env };
    process.env.DATABASE_URL ??= "postgresql://user:secret@127.0.0.1:5432/db";
    process.env.BETTER_AUTH_SECRET ??= "a-secret-the-trainer-must-not-see";
    process.env.CUDA_VISIBLE_DEVICES ??= "0";
    const { stdout } = await run("env").finally(() => {
      process.env = saved;
    });
    const env = stdout[0]!.env as string[];
    expect(env).toEqual(expect.arrayContaining(["PATH", "PYTHONUNBUFFERED", "TRAINER_PARENT_PID", "CUDA_VISIBLE_DEVICES"]));
    expect(env).not.toContain("DATABASE_URL");
    expect(env).not.toContain("BETTER_AUTH_SECRET");
    expect(env.filter((k) => /SECRET|PASSWORD|DATABASE|API_KEY/.test(k))).toEqual([]);
  });

  it("reports a refusal's exit code", async () => {
    const { exit, stdout } = await run("fail");
    expect(exit.code).toBe(2);
    expect(stdout).toEqual([{ event: "error", message: "bad snapshot" }]);
  });

  it("asks the trainer to stop with SIGTERM when aborted, and it exits cleanly after a checkpoint", async () => {
    const { exit, stdout } = await run("slow", { abortAfterMs: 400 });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stdout.slice(-2).map((e) => e.event)).toEqual(["checkpoint", "done"]);
    expect(stdout.at(-1)).toMatchObject({ interrupted: true });
  });

  it("kills a trainer that ignores SIGTERM once the grace period is over", async () => {
    const { exit } = await run("stubborn", { abortAfterMs: 300, killAfterMs: 300 });
    expect(exit).toEqual({ code: null, signal: "SIGKILL" });
  });

  it("says which interpreter could not be started", async () => {
    await expect(run("quick", { python: "/nonexistent/python" })).rejects.toThrow(/Could not start the trainer with \/nonexistent\/python/);
  });
});
