import { execFile } from "node:child_process";
import os from "node:os";
import { promisify } from "node:util";
import { parseNvidiaSmi, visibleGpus, type Capabilities } from "../server/workers/capabilities";

/** What this machine offers: its GPUs (those CUDA_VISIBLE_DEVICES leaves visible) when nvidia-smi answers, and always its CPUs and memory. */
export async function detectCapabilities(): Promise<Capabilities> {
  const gpus = await promisify(execFile)("nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader"], { timeout: 10_000 }).then(
    ({ stdout }) => parseNvidiaSmi(stdout),
    // No driver, no GPU: a CPU worker.
    () => [],
  );
  return { cpus: os.availableParallelism(), memoryBytes: os.totalmem(), gpus: visibleGpus(gpus, process.env.CUDA_VISIBLE_DEVICES) };
}
