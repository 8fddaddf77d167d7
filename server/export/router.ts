import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { apiKeyScopes, createApiKey, listApiKeys, revokeApiKey } from "../api-keys/service";
import { getEnv } from "../env";
import { reviewerOnProject } from "../projects/procedures";
import { ZExportRequest } from "./filter";
import { createSnapshot, listSnapshots, rebuildSnapshot } from "./snapshots";
import { exportChunks } from "./stream";

const ZProjectExport = z.object({ projectId: z.uuid("projectId must be a UUID"), request: ZExportRequest });

/** Rows an export would have now: the same pipeline, counted instead of sent. */
async function countRows(...args: Parameters<typeof exportChunks>) {
  let rows = 0;
  for await (const chunk of exportChunks(...args)) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
  return rows;
}

export const exportsRouter = createTRPCRouter({
  count: reviewerOnProject.input(ZProjectExport).query(async ({ ctx, input }) => ({ rows: await countRows(ctx.db, input) })),
  snapshots: reviewerOnProject.query(({ ctx, input }) => listSnapshots(ctx.db, input.projectId)),
  createSnapshot: adminProcedure
    .input(ZProjectExport)
    .mutation(({ ctx, input }) => createSnapshot(ctx.db, { ...input, artifactDir: getEnv().ARTIFACT_DIR, createdById: ctx.user.id })),
  /** A new snapshot like one that holds deleted data, from the current data; the old one is kept. */
  rebuildSnapshot: adminProcedure
    .input(z.object({ projectId: z.uuid("projectId must be a UUID"), snapshotId: z.uuid("snapshotId must be a UUID") }))
    .mutation(({ ctx, input }) => rebuildSnapshot(ctx.db, { ...input, artifactDir: getEnv().ARTIFACT_DIR, createdById: ctx.user.id })),
});

export const apiKeysRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.db)),
  create: adminProcedure
    .input(
      z.object({
        name: z.string().trim().min(1, "Name the key (who or what uses it)").max(200),
        projectIds: z.array(z.uuid("projectIds must be UUIDs")).min(1, "Choose at least one project"),
        scopes: z.array(z.enum(apiKeyScopes, "scopes are read and write")).min(1, "Choose what the key may do: read, write or both").default(["read"]),
        expiresInDays: z.int("expiresInDays is a whole number of days").min(1).max(3650).nullable().default(null),
      }),
    )
    .mutation(({ ctx, input }) => createApiKey(ctx.db, input, ctx.user.id)),
  revoke: adminProcedure.input(z.object({ keyId: z.uuid("keyId must be a UUID") })).mutation(({ ctx, input }) => revokeApiKey(ctx.db, input, ctx.user.id)),
});
