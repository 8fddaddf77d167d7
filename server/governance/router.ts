import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { getEnv } from "../env";
import { assertStorable } from "../text/storable";
import { deletePromptsWithLineage, findConversations, listDeletions } from "./delete-conversation";
import { ZDeleteConversationsInput, ZDeletionsInput, ZFindConversationsInput, ZPreviewDeletionInput } from "./deletion.schema";

export const governanceRouter = createTRPCRouter({
  findConversations: adminProcedure.input(ZFindConversationsInput).query(({ ctx, input }) => {
    assertStorable(input.query, "query");
    return findConversations(ctx.db, input);
  }),
  /** The dry run: what a deletion would remove and which snapshots and models it reaches. */
  previewDeletion: adminProcedure
    .input(ZPreviewDeletionInput)
    .query(({ ctx, input }) => deletePromptsWithLineage(ctx.db, { ...input, reason: "", dryRun: true, artifactDir: getEnv().ARTIFACT_DIR })),
  deleteConversations: adminProcedure
    .input(ZDeleteConversationsInput)
    .mutation(({ ctx, input }) => {
      assertStorable(input.reason, "reason");
      return deletePromptsWithLineage(ctx.db, { ...input, actorId: ctx.user.id, artifactDir: getEnv().ARTIFACT_DIR });
    }),
  deletions: adminProcedure.input(ZDeletionsInput).query(({ ctx, input }) => listDeletions(ctx.db, input.projectId)),
});
