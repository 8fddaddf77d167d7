import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/api/root";

type Outputs = inferRouterOutputs<AppRouter>;

export type ReviewRow = Outputs["review"]["list"]["rows"][number];
export type ReviewItem = Outputs["review"]["get"];
