import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// The worker imports the server, never the other way round: the web app must not load the code that
// runs jobs (it spawns the trainer). Relative paths are matched by depth, because `../workers/` is
// the worker from a file directly in server/ but server/workers/ (worker status) from server/api/.
const workersMessage = "server/ and app/ must not import workers/: put what both need under server/ (job contracts live in server/jobs/kinds.ts).";
const noWorkerImports = Array.from({ length: 12 }, (_, i) => i + 1).map((depth) => {
  const reachesWorkers = `^(\\./)?(\\.\\./){${depth}}workers(/|$)|^@/workers(/|$)`;
  return {
    files: [`{server,app}/${"*/".repeat(depth - 1)}*.{ts,tsx,js,mjs}`],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: reachesWorkers, message: workersMessage }] }],
      // import(…) too; a selector's regex cannot hold a slash, so it is written \x2F.
      "no-restricted-syntax": ["error", { selector: `ImportExpression[source.value=/${reachesWorkers.replaceAll("/", "\\x2F")}/]`, message: workersMessage }],
    },
  };
});

const config = [
  ...nextVitals,
  ...nextTs,
  ...noWorkerImports,
  {
    ignores: [".next/**", ".next-*/**", "node_modules/**", ".venv/**", ".data/**", "server/generated/**", "workers/trainer/**", "test-results/**", "playwright-report/**", "next-env.d.ts"],
  },
];

export default config;
