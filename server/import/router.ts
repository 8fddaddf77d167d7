import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { ZImportTextInput, ZListImportsInput } from "./import.schema";
import { importJsonl, listImports } from "./service";

async function* once(text: string) {
  yield text;
}

export const importsRouter = createTRPCRouter({
  fromText: adminProcedure.input(ZImportTextInput).mutation(({ ctx, input }) =>
    importJsonl(ctx.db, {
      projectId: input.projectId,
      layout: input.layout,
      strict: input.strict,
      filename: input.filename,
      chunks: once(input.text),
      createdById: ctx.user.id,
    }),
  ),
  list: adminProcedure.input(ZListImportsInput).query(({ ctx, input }) => listImports(ctx.db, input.projectId)),
});
