import path from "node:path";

/** The commands that run on TRL's trainers; on several GPUs they start through `accelerate launch`. */
export const trlCommands = ["dpo", "kto", "grpo", "rloo"];

/**
 * The program and arguments that run one trainer command: `python -m trainer …`, or, for a job on
 * several GPUs, one process per GPU from the same environment: `accelerate launch --multi_gpu` for
 * the commands on TRL's trainers (accelerate is how TRL is meant to be launched, and where its FSDP
 * and DeepSpeed configurations plug in), `torchrun --standalone` for our own loops.
 */
export function trainerCommandLine(opts: { python: string; command: string; configPath: string; gpus?: number }): { file: string; args: string[] } {
  const trainerArgs = ["-m", "trainer", opts.command, "--config", opts.configPath];
  const gpus = opts.gpus ?? 0;
  if (gpus <= 1) return { file: opts.python, args: trainerArgs };
  // Both launchers sit next to the interpreter in the venv's bin folder.
  const bin = (name: string) => path.join(path.dirname(opts.python), name);
  if (trlCommands.includes(opts.command)) {
    return { file: bin("accelerate"), args: ["launch", "--multi_gpu", "--num_machines", "1", "--num_processes", String(gpus), "--mixed_precision", "no", "--dynamo_backend", "no", ...trainerArgs] };
  }
  return { file: bin("torchrun"), args: ["--standalone", "--nproc-per-node", String(gpus), ...trainerArgs] };
}
