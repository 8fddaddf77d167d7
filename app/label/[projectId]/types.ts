import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/api/root";

type Outputs = inferRouterOutputs<AppRouter>;

export type AssignmentView = NonNullable<Outputs["annotation"]["next"]>;
export type TaskResponse = AssignmentView["responses"][number];
export type TaskMessage = AssignmentView["prompt"]["messages"][number];
export type ProjectSummary = Outputs["projects"]["list"][number];
