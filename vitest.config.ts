import { defineConfig } from "vitest/config";

const ignored = ["node_modules/**", ".next/**", ".venv/**", ".data/**", "e2e/**"];

export default defineConfig({
  test: {
    // Integration files share one database and start workers: they run one after another.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["{server,workers,prisma,app}/**/*.test.ts"],
          exclude: [...ignored, "**/*.integration.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          environment: "node",
          include: ["{server,workers,prisma}/**/*.integration.test.ts"],
          exclude: ignored,
          globalSetup: ["server/test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
