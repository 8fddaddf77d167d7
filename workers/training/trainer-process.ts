// Runs `python -m trainer <command> --config <file>` and hands its output back line by line.
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { TrainerExit } from "./run-outcome";
import { trainerCommandLine } from "./trainer-command";

/** The Python package's folder: the trainer runs with it as its working directory. */
export function trainerDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../trainer");
}

/**
 * What the trainer inherits from the worker: what Python, PyTorch, CUDA, NCCL and the model hubs
 * read, and nothing else. The database URL, the auth secret and any other credential of the worker
 * never reach a process that loads model files.
 */
const inherited = [
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|TMP|TEMP|TERM|LD_LIBRARY_PATH|VIRTUAL_ENV|XDG_CACHE_HOME)$/,
  /^LC_/,
  /^PYTHON/,
  /^(CUDA|NVIDIA|NCCL|TORCH|TORCHINDUCTOR|PYTORCH|TRITON|HF|HUGGINGFACE|TRANSFORMERS|ACCELERATE|VLLM|OMP|MKL|OPENBLAS|KMP|GOTO)_/,
];

export function trainerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => inherited.some((re) => re.test(key)))) as NodeJS.ProcessEnv;
}

export type TrainerProcessOptions = {
  python: string;
  command: string;
  configPath: string;
  /** GPUs the job asked for: more than one launches the trainer through torchrun. */
  gpus?: number;
  /** Aborting sends SIGTERM (the trainer saves a checkpoint and exits); SIGKILL after `killAfterMs`. */
  signal: AbortSignal;
  killAfterMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onStdoutLine: (line: string) => void;
  onStderrLine: (line: string) => void;
  /** Called once the process has started, with its pid (tests use it to kill the trainer). */
  onSpawn?: (pid: number) => void;
};

export function runTrainerProcess(opts: TrainerProcessOptions): Promise<TrainerExit> {
  return new Promise((resolve, reject) => {
    const { file, args } = trainerCommandLine(opts);
    const child = spawn(file, args, {
      cwd: opts.cwd ?? trainerDir(),
      // TRAINER_PARENT_PID: the trainer (every torchrun rank) checkpoints and exits once this process is gone,
      // so a worker killed on its own leaves no run going beside the attempt that replaces it.
      env: { ...trainerEnvironment(process.env), ...opts.env, PYTHONUNBUFFERED: "1", TRAINER_PARENT_PID: String(process.pid) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), opts.killAfterMs ?? 120_000);
    };
    // Both streams are read to their end before the result is reported, so no line is lost.
    const closed = Promise.all(
      [
        [child.stdout, opts.onStdoutLine],
        [child.stderr, opts.onStderrLine],
      ].map(
        ([stream, onLine]) =>
          new Promise<void>((done) => {
            const lines = createInterface({ input: stream as NodeJS.ReadableStream, crlfDelay: Infinity });
            lines.on("line", onLine as (line: string) => void);
            lines.on("close", done);
          }),
      ),
    );
    child.once("spawn", () => {
      if (child.pid !== undefined) opts.onSpawn?.(child.pid);
      if (opts.signal.aborted) stop();
      else opts.signal.addEventListener("abort", stop, { once: true });
    });
    child.once("error", (err) => {
      opts.signal.removeEventListener("abort", stop);
      clearTimeout(killTimer);
      reject(new Error(`Could not start the trainer with ${opts.python}: ${err.message}`));
    });
    child.once("exit", (code, signal) => {
      opts.signal.removeEventListener("abort", stop);
      clearTimeout(killTimer);
      void closed.then(() => resolve({ code, signal }));
    });
  });
}
