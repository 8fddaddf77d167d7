import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [".next/**", ".next-*/**", "node_modules/**", ".venv/**", ".data/**", "server/generated/**", "workers/trainer/**", "test-results/**", "playwright-report/**", "next-env.d.ts"],
  },
];

export default config;
