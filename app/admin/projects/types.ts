import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/api/root";

type Outputs = inferRouterOutputs<AppRouter>;

export type ProjectRow = Outputs["projects"]["all"][number];
export type ProjectSettings = Outputs["projects"]["get"];
export type Dashboard = Outputs["projects"]["dashboard"];
export type Quality = Outputs["projects"]["quality"];
export type AnnotatorQuality = Quality["annotators"][number];
export type PositionBias = Quality["positionBias"];
