// What a worker can run, and which queues that makes it poll. Pure: no Prisma, no processes.

export type Gpu = { name: string; memoryMiB: number };
export type Capabilities = { cpus: number; memoryBytes: number; gpus: Gpu[] };

/** Jobs that need no GPU go on `<kind>`, jobs that need any on `<kind>:gpu`, so CPU-only workers never take them. */
export function queueNameFor(kind: string, gpus: number): string {
  return gpus > 0 ? `${kind}:gpu` : kind;
}

/** The queues a worker polls for one kind: a GPU worker takes both classes, a CPU-only worker only the first. */
export function queuesFor(kind: string, capabilities: Pick<Capabilities, "gpus">): string[] {
  return capabilities.gpus.length > 0 ? [kind, queueNameFor(kind, 1)] : [kind];
}

/** Whether a worker with these capabilities may run a job that asks for `gpus` GPUs. */
export function canRun(capabilities: Pick<Capabilities, "gpus">, gpus: number): boolean {
  return gpus <= capabilities.gpus.length;
}

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader` (e.g. `NVIDIA H100, 81559 MiB`). */
export function parseNvidiaSmi(output: string): Gpu[] {
  return output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const cut = line.lastIndexOf(",");
      const memory = /([\d.]+)\s*MiB/i.exec(line.slice(cut + 1));
      return { name: (cut < 0 ? line : line.slice(0, cut)).trim(), memoryMiB: memory ? Math.round(Number(memory[1])) : 0 };
    });
}

/**
 * The GPUs this worker may use: all of them, or those `CUDA_VISIBLE_DEVICES` names by index (the
 * way to run one worker per GPU group on one machine). "" or "-1" hides every GPU.
 */
export function visibleGpus(gpus: Gpu[], cudaVisibleDevices: string | undefined): Gpu[] {
  if (cudaVisibleDevices === undefined) return gpus;
  const picked = cudaVisibleDevices
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (picked.length === 0 || picked[0] === "-1") return [];
  // Indexes only; GPU UUIDs cannot be matched against nvidia-smi's name column, so all are kept.
  if (!picked.every((s) => /^\d+$/.test(s))) return gpus;
  return picked.map(Number).filter((i) => i < gpus.length).map((i) => gpus[i]!);
}

const gib = (bytes: number) => `${Number((bytes / 2 ** 30).toFixed(1))} GiB`;

/** In words for the console: "2 × NVIDIA H100 (79.6 GiB) · 16 CPUs · 125.8 GiB memory", or "no GPU · …". */
export function describeCapabilities(c: Capabilities): string {
  const gpus = new Map<string, number>();
  for (const g of c.gpus) {
    const label = `${g.name} (${gib(g.memoryMiB * 2 ** 20)})`;
    gpus.set(label, (gpus.get(label) ?? 0) + 1);
  }
  const gpuText = gpus.size === 0 ? "no GPU" : [...gpus].map(([label, n]) => (n > 1 ? `${n} × ${label}` : label)).join(", ");
  return `${gpuText} · ${c.cpus} CPU${c.cpus === 1 ? "" : "s"} · ${gib(c.memoryBytes)} memory`;
}
