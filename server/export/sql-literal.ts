// A parameterised Prisma.Sql written out with its values as literals, for the statements that
// cannot take parameters (COPY). Values are escaped by the pg driver's own literal quoting.
import pg from "pg";
import type { Prisma } from "../generated/prisma/client";

/** A timestamp column holds UTC wall-clock time (as Prisma writes it). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "string") return pg.escapeLiteral(value);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return `${pg.escapeLiteral(value.toISOString().replace("T", " ").replace("Z", ""))}::timestamp`;
  if (Array.isArray(value)) return value.length ? `ARRAY[${value.map(literal).join(", ")}]` : "'{}'";
  throw new Error(`cannot write ${typeof value} as an SQL literal`);
}

export function inlineSql(sql: Prisma.Sql): string {
  return sql.strings.reduce((out, s, i) => out + literal(sql.values[i - 1]) + s);
}
