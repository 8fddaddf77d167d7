// The JSONL upload both import endpoints share: the body is the file, the query names the layout.
import type { Db } from "../db";
import { layoutError, ZLayout } from "./import.schema";
import { declaredLength } from "../http/body-limit";
import { importJsonl, importLimits, tooLargeUpload } from "./service";

/** Query: layout=tasks|pairs|hh|kto (default tasks), strict=1, filename=… */
export async function importFromRequest(
  db: Db,
  req: Request,
  { projectId, createdById, apiKeyId = null }: { projectId: string; createdById: string | null; apiKeyId?: string | null },
): Promise<Response> {
  const url = new URL(req.url);
  const layout = ZLayout.safeParse(url.searchParams.get("layout") ?? "tasks");
  if (!layout.success) return Response.json({ error: { code: "BAD_REQUEST", message: layoutError } }, { status: 400 });
  if (!req.body) return Response.json({ error: { code: "BAD_REQUEST", message: "The request body (the JSONL file) is empty" } }, { status: 400 });
  // A declared size past the cap is refused before a byte is read; an undeclared one is cut off as it streams.
  const { maxBytes } = importLimits();
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxBytes) throw tooLargeUpload(maxBytes);
  const summary = await importJsonl(db, {
    projectId,
    layout: layout.data,
    strict: url.searchParams.get("strict") === "1" || url.searchParams.get("strict") === "true",
    filename: url.searchParams.get("filename"),
    chunks: req.body as unknown as AsyncIterable<Uint8Array>,
    createdById,
    apiKeyId,
  });
  // A strict import with bad rows changed nothing: that is the client's error to fix.
  return Response.json(summary, { status: summary.committed ? 200 : 400 });
}
