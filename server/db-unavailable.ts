// Whether an error means the database cannot be reached right now (down, restarting, out of
// connections), as opposed to a fault of the request or of the code. Such errors are answered with
// 503 and a message, and the client may try again.

const prismaCodes = new Set([
  "P1001", // can't reach the database server
  "P1002", // the server timed out
  "P1008", // operation timed out
  "P1017", // the server closed the connection
  "P2024", // timed out waiting for a connection from the pool
]);
const adapterKinds = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "DatabaseAccessDenied"]);
/** SQLSTATE classes: 08 connection exceptions, 57P01-57P03 shutdown and start-up, 53300 too many connections. */
const sqlStates = /^(08...|57P0[123]|53300)$/;
const nodeCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"]);
const messages = /Connection terminated|Can't reach database server|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command|Client has encountered a connection error/i;

type Inspectable = { code?: unknown; kind?: unknown; originalCode?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== "object") return false;
  const e = err as Inspectable;
  if (typeof e.code === "string" && (prismaCodes.has(e.code) || nodeCodes.has(e.code) || sqlStates.test(e.code))) return true;
  if (typeof e.kind === "string" && adapterKinds.has(e.kind)) return true;
  if (e.kind === "postgres" && typeof e.originalCode === "string" && sqlStates.test(e.originalCode)) return true;
  if (typeof e.message === "string" && messages.test(e.message)) return true;
  return isDatabaseUnavailable(e.meta?.driverAdapterError?.cause, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1);
}

export const databaseUnavailableMessage = "The database is unavailable right now. Try again in a few seconds.";
