-- CreateEnum
CREATE TYPE "Feedback" AS ENUM ('up', 'down');

-- DropIndex
DROP INDEX "task_projectId_isGold_annotationCount_createdAt_id_idx";

-- AlterTable
ALTER TABLE "annotation" ADD COLUMN     "feedback" "Feedback";

-- AlterTable
ALTER TABLE "task" ADD COLUMN     "rankable" BOOLEAN NOT NULL DEFAULT true;

-- CreateIndex
CREATE INDEX "task_projectId_isGold_rankable_annotationCount_createdAt_id_idx" ON "task"("projectId", "isGold", "rankable", "annotationCount" DESC, "createdAt", "id");
