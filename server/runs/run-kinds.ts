// Kept free of imports: the worker loads server/runs/service.ts while job kinds are still being defined.

/** The job kinds that are runs of the trainer (shown under /admin/runs and started from there). */
export const runKinds = ["train_reward", "train_safety", "train_sft", "dpo", "kto", "ppo", "grpo", "rloo", "generate", "evaluate", "acquire", "forecast", "serve"] as const;
export type RunKind = (typeof runKinds)[number];
