import { z } from "zod";
import { promptPolicies } from "../annotation/submission";
import { promptSources } from "../import/import-record";
import { reviewStates } from "../review/review.schema";
import { aggregates, exportFormats } from "./types";

const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v), z.array(item).min(1));

/** Which annotations an export reads. Also what a snapshot freezes. */
const ZInstant = z
  .union([z.iso.datetime({ offset: true, error: "expected an ISO 8601 time such as 2026-11-01T00:00:00Z" }), z.iso.date()])
  .transform((s) => new Date(s));

export const ZExportFilter = z.object({
  from: ZInstant.optional().describe("Only annotations created at or after this time (ISO 8601)"),
  to: ZInstant.optional().describe("Only annotations created before this time (ISO 8601)"),
  reviewState: csv(z.enum(reviewStates.filter((s) => s !== "rejected") as ["pending", "accepted", "corrected"]))
    .optional()
    .describe("Review states to include (rejected annotations are never exported); default: all"),
  minAgreement: z.coerce
    .number()
    .min(0)
    .max(1, "minAgreement is between 0 and 1")
    .optional()
    .describe("Only tasks whose annotations agree at least this much (pairwise preference agreement, 0-1); tasks with one annotation have none"),
  promptPolicy: csv(z.enum(promptPolicies)).optional().describe("Only annotations that gave the prompt one of these policies"),
  source: csv(z.enum(promptSources)).optional().describe("Only prompts from these sources"),
  model: csv(z.string().min(1).max(200)).optional().describe("Only tasks with a response from one of these model versions"),
  excludeFlagged: z
    .preprocess((v) => v === "1" || v === "true" || v === true, z.boolean())
    .optional()
    .describe("Leave out annotators whose gold accuracy is below the project's threshold"),
  excludeEvaluationPrompts: z
    .preprocess((v) => v === "1" || v === "true" || v === true, z.boolean())
    .optional()
    .describe("Leave out prompts that are in one of the project's evaluation sets (human spot checks of an evaluation), so a model never trains on them"),
});
export type ExportFilter = z.infer<typeof ZExportFilter>;

export const ZExportRequest = ZExportFilter.extend({
  format: z.enum(exportFormats, { error: `format must be one of ${exportFormats.join(", ")}` }).describe("The record layout"),
  aggregate: z
    .enum(aggregates, { error: `aggregate must be one of ${aggregates.join(", ")}` })
    .default("raw")
    .describe("raw: one record per annotation; or one merged record per task"),
});
export type ExportRequest = z.infer<typeof ZExportRequest>;

/** Query-string parameters → an export request; repeated and comma-separated values both work. */
export function exportRequestFromSearchParams(params: URLSearchParams) {
  const raw: Record<string, string> = {};
  for (const key of new Set(params.keys())) raw[key] = params.getAll(key).join(",");
  return ZExportRequest.safeParse(raw);
}
