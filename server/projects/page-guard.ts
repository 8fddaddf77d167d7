// Pages under a project's URL answer a real 404 when the id is malformed or names no project,
// rather than a 200 page holding a schema message.
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "../db";

export async function requireProjectOr404(projectId: string): Promise<void> {
  if (!z.uuid().safeParse(projectId).success) notFound();
  const project = await getDb().project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) notFound();
}
