import path from "node:path";

/**
 * The program and arguments that run one trainer command: `python -m trainer …`, or, for a job on
 * several GPUs, `torchrun --standalone --nproc-per-node N -m trainer …` from the same environment.
 */
export function trainerCommandLine(opts: { python: string; command: string; configPath: string; gpus?: number }): { file: string; args: string[] } {
  const trainerArgs = ["-m", "trainer", opts.command, "--config", opts.configPath];
  const gpus = opts.gpus ?? 0;
  if (gpus <= 1) return { file: opts.python, args: trainerArgs };
  // torchrun sits next to the interpreter in the venv's bin folder.
  return { file: path.join(path.dirname(opts.python), "torchrun"), args: ["--standalone", "--nproc-per-node", String(gpus), ...trainerArgs] };
}
