-- DropIndex
DROP INDEX "task_projectId_isGold_annotationCount_idx";

-- CreateIndex
CREATE INDEX "task_projectId_isGold_annotationCount_createdAt_id_idx" ON "task"("projectId", "isGold", "annotationCount" DESC, "createdAt", "id");
