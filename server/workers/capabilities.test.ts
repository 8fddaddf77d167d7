import { describe, expect, it } from "vitest";
import { canRun, describeCapabilities, parseNvidiaSmi, queueNameFor, queuesFor, visibleGpus } from "./capabilities";

describe("worker capabilities", () => {
  it("parses nvidia-smi's csv into GPUs with their memory", () => {
    expect(parseNvidiaSmi("NVIDIA H100 80GB HBM3, 81559 MiB\nNVIDIA A10G, 23028 MiB\n")).toEqual([
      { name: "NVIDIA H100 80GB HBM3", memoryMiB: 81559 },
      { name: "NVIDIA A10G", memoryMiB: 23028 },
    ]);
    expect(parseNvidiaSmi("")).toEqual([]);
  });

  it("sends GPU jobs to their own queue, which only GPU workers poll", () => {
    expect(queueNameFor("train_reward", 0)).toBe("train_reward");
    expect(queueNameFor("train_reward", 2)).toBe("train_reward:gpu");
    expect(queuesFor("ppo", { gpus: [] })).toEqual(["ppo"]);
    expect(queuesFor("ppo", { gpus: [{ name: "g", memoryMiB: 1 }] })).toEqual(["ppo", "ppo:gpu"]);
  });

  it("refuses a job that asks for more GPUs than the worker has", () => {
    expect(canRun({ gpus: [] }, 0)).toBe(true);
    expect(canRun({ gpus: [] }, 1)).toBe(false);
    expect(canRun({ gpus: [{ name: "g", memoryMiB: 1 }, { name: "g", memoryMiB: 1 }] }, 2)).toBe(true);
  });
  it("keeps only the GPUs CUDA_VISIBLE_DEVICES names", () => {
    const gpus = [0, 1, 2, 3].map((i) => ({ name: `GPU ${i}`, memoryMiB: 81_559 }));
    expect(visibleGpus(gpus, undefined)).toHaveLength(4);
    expect(visibleGpus(gpus, "2,3").map((g) => g.name)).toEqual(["GPU 2", "GPU 3"]);
    expect(visibleGpus(gpus, "")).toEqual([]);
    expect(visibleGpus(gpus, "-1")).toEqual([]);
    expect(visibleGpus(gpus, "1,9").map((g) => g.name)).toEqual(["GPU 1"]);
  });

  it("describes a worker's capabilities in words, same GPUs counted once", () => {
    const h100 = { name: "NVIDIA H100", memoryMiB: 81_559 };
    expect(describeCapabilities({ cpus: 16, memoryBytes: 128 * 2 ** 30, gpus: [h100, h100, { name: "NVIDIA A10G", memoryMiB: 23_028 }] })).toBe(
      "2 × NVIDIA H100 (79.6 GiB), NVIDIA A10G (22.5 GiB) · 16 CPUs · 128 GiB memory",
    );
    expect(describeCapabilities({ cpus: 1, memoryBytes: 2 ** 31, gpus: [] })).toBe("no GPU · 1 CPU · 2 GiB memory");
  });
});
