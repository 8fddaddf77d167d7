import pino from "pino";

// JSON lines on stdout; `make dev` pipes them through pino-pretty for people.
export const logger = pino({
  level: process.env.LOG_LEVEL ?? "info",
  base: { service: process.env.SERVICE_NAME ?? "web" },
  redact: ["password", "*.password", "headers.cookie", "headers.authorization"],
});

export type Logger = pino.Logger;
