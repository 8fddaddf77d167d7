import { z } from "zod";

const devSecret = "development-only-secret-change-me-0123456789";

/** Where runs, snapshots and models live, and the Python that runs the trainer (web and worker). */
export const ZStorageEnv = z.object({
  ARTIFACT_DIR: z.string().default("artifacts"),
  /** The built-in default models (`make models`); each machine has its own copy. */
  MODELS_DIR: z.string().default(".data/models"),
  TRAINER_PYTHON: z.string().default(".venv/bin/python"),
});

/** Read by the workers' sweepers, and by the console to tell live workers from stale ones. */
export const ZJobHeartbeatEnv = z.object({
  /** A running job whose heartbeat is older than this is taken back and queued again. */
  JOB_HEARTBEAT_TIMEOUT_SECONDS: z.coerce.number().positive("JOB_HEARTBEAT_TIMEOUT_SECONDS must be a positive number of seconds").default(60),
});

/** Limits on what uploads and snapshots may take; read per call (imports and snapshots also run outside the web app). */
/** What the per-request limits read; parsed on its own so that tests and scripts need no whole env. */
export const ZRequestLimitsEnv = z.object({
  /** Proxies in front of the app that append to X-Forwarded-For; the client's address is the entry that many from the right. 0 trusts no header. */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** tRPC calls per minute without a session, per client address (TRUSTED_PROXY_HOPS) or, with no trusted address, all together, per web process. */
  ANONYMOUS_CALLS_PER_MINUTE: z.coerce.number().int().positive().default(120),
  /** The largest tRPC request body, in MB (the console's text import sends up to 5 MB of text). */
  TRPC_MAX_BODY_MB: z.coerce.number().positive().default(16),
  /** The largest JSON body of an /api/v1 request, in KB. */
  API_MAX_JSON_KB: z.coerce.number().positive().default(64),
});

/** The Playground's limits (read per call, so tests can set them) and where a worker's model servers listen. */
export const ZServingEnv = z.object({
  /** The most tokens one Playground answer may have; a request asking more is refused. */
  PLAYGROUND_MAX_TOKENS: z.coerce.number().int().min(1).max(32_768).default(512),
  /** Chat requests one person may send per minute (each side of a side-by-side chat counts). */
  PLAYGROUND_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().default(30),
  /** The address a worker's model servers listen on and are reached at by the web app (never by browsers). */
  SERVE_HOST: z.string().min(1).default("127.0.0.1"),
  /** Models one worker serves at once. Default: 2 on a CPU machine, 1 with a GPU (vLLM takes most of its memory). */
  WORKER_SERVE_SLOTS: z.coerce.number().int().min(1).max(64).optional(),
});

export const ZDataLimitsEnv = z.object({
  /** The largest JSONL upload, in MB. */
  IMPORT_MAX_MB: z.coerce.number().positive("IMPORT_MAX_MB must be a positive number of MB").default(1024),
  /** The largest batch of production feedback (POST /api/v1/projects/:id/feedback), in MB. */
  FEEDBACK_MAX_MB: z.coerce.number().positive("FEEDBACK_MAX_MB must be a positive number of MB").default(16),
  /** Imports one person or API key may run at once. */
  IMPORT_MAX_CONCURRENT: z.coerce.number().int().positive("IMPORT_MAX_CONCURRENT must be a positive whole number").default(2),
  /** Disk a project's snapshots may take, in MB. */
  SNAPSHOT_QUOTA_MB_PER_PROJECT: z.coerce.number().positive("SNAPSHOT_QUOTA_MB_PER_PROJECT must be a positive number of MB").default(10_240),
});

const ZEnv = ZStorageEnv.extend({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z
    .string({ error: "DATABASE_URL is not set (make dev starts an embedded PostgreSQL and sets it)" })
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// URL"),
  APP_URL: z.url("APP_URL must be a URL such as http://localhost:3000").default("http://localhost:3000"),
  BETTER_AUTH_SECRET: z.string().min(32, "BETTER_AUTH_SECRET must be at least 32 characters").optional(),
  ...ZDataLimitsEnv.shape,
  ...ZRequestLimitsEnv.shape,
  ...ZServingEnv.shape,
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  AUTH_SIGNIN_ATTEMPTS_PER_MINUTE: z.coerce.number().int().positive().default(10),
  /** Failed sign-ins of one account in 15 minutes before it is locked for 15 minutes. */
  AUTH_SIGNIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(10),
  /** Failed sign-ins from one client address in 15 minutes (counted only with TRUSTED_PROXY_HOPS > 0). */
  AUTH_SIGNIN_FAILURES_PER_ADDRESS: z.coerce.number().int().positive().default(30),
  /** A session unused this many hours ends. */
  SESSION_IDLE_HOURS: z.coerce.number().positive().default(12),
  /** A session ends this many hours after sign-in, however much it is used. */
  SESSION_ABSOLUTE_HOURS: z.coerce.number().positive().default(168),
  /** Requests per minute one API key may make to /api/v1. */
  API_KEY_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** Snapshots one API key may create per hour. */
  API_KEY_SNAPSHOTS_PER_HOUR: z.coerce.number().int().positive().default(30),
})
  .transform((e, ctx) => {
    if (!e.BETTER_AUTH_SECRET && e.NODE_ENV === "production") {
      ctx.addIssue({ code: "custom", path: ["BETTER_AUTH_SECRET"], message: "BETTER_AUTH_SECRET is required in production" });
      return z.NEVER;
    }
    return { ...e, BETTER_AUTH_SECRET: e.BETTER_AUTH_SECRET ?? devSecret };
  });

export type Env = z.infer<typeof ZEnv>;

let cached: Env | undefined;

/** The validated environment; the first call fails fast with the name of every bad variable. */
export function getEnv(): Env {
  if (cached) return cached;
  const parsed = ZEnv.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  cached = parsed.data;
  return cached;
}
