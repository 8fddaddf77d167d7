import { afterEach, describe, expect, it, vi } from "vitest";

async function loadEnv(vars: Record<string, string | undefined>) {
  vi.resetModules();
  for (const [k, v] of Object.entries(vars)) vi.stubEnv(k, v as string);
  return (await import("./env")).getEnv;
}

describe("getEnv", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("names the variable that is missing or malformed", async () => {
    const getEnv = await loadEnv({ DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" });
    expect(() => getEnv()).toThrow(/DATABASE_URL: DATABASE_URL must be a postgresql:\/\/ URL/);
    expect(() => getEnv()).toThrow(/LOG_LEVEL/);
  });

  it("requires a real auth secret in production only", async () => {
    const prod = await loadEnv({ DATABASE_URL: "postgresql://localhost/db", NODE_ENV: "production", BETTER_AUTH_SECRET: undefined });
    expect(() => prod()).toThrow(/BETTER_AUTH_SECRET is required in production/);
    const dev = await loadEnv({ DATABASE_URL: "postgresql://localhost/db", NODE_ENV: "development", BETTER_AUTH_SECRET: undefined });
    expect(dev().BETTER_AUTH_SECRET.length).toBeGreaterThanOrEqual(32);
  });
});
