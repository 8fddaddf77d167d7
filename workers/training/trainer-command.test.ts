import { describe, expect, it } from "vitest";
import { trainerCommandLine } from "./trainer-command";

describe("trainerCommandLine", () => {
  it("runs the trainer with the venv's python for CPU and single-GPU jobs", () => {
    for (const gpus of [undefined, 0, 1]) {
      expect(trainerCommandLine({ python: "/app/.venv/bin/python", command: "reward", configPath: "/a/reward.config.json", gpus })).toEqual({
        file: "/app/.venv/bin/python",
        args: ["-m", "trainer", "reward", "--config", "/a/reward.config.json"],
      });
    }
  });

  it("launches torchrun from the same venv with one process per GPU when a job asks for several", () => {
    expect(trainerCommandLine({ python: "/app/.venv/bin/python", command: "ppo", configPath: "/a/ppo.config.json", gpus: 4 })).toEqual({
      file: "/app/.venv/bin/torchrun",
      args: ["--standalone", "--nproc-per-node", "4", "-m", "trainer", "ppo", "--config", "/a/ppo.config.json"],
    });
  });

  it("launches the commands on TRL's trainers through accelerate, one process per GPU", () => {
    for (const command of ["dpo", "kto", "grpo", "rloo"]) {
      expect(trainerCommandLine({ python: "/app/.venv/bin/python", command, configPath: `/a/${command}.config.json`, gpus: 2 })).toEqual({
        file: "/app/.venv/bin/accelerate",
        args: ["launch", "--multi_gpu", "--num_machines", "1", "--num_processes", "2", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "trainer", command, "--config", `/a/${command}.config.json`],
      });
    }
  });
});
