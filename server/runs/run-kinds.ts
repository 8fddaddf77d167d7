// Kept free of imports: the worker loads server/runs/service.ts while job kinds are still being defined.

/** The job kinds that are training runs (shown under /admin/runs). */
export const runKinds = ["train_reward", "train_safety", "train_sft", "ppo"] as const;
