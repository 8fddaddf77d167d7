-- CreateEnum
CREATE TYPE "TaskOrder" AS ENUM ('imported', 'uncertainty');

-- DropIndex
DROP INDEX "task_projectId_isGold_rankable_annotationCount_createdAt_id_idx";

-- AlterTable
ALTER TABLE "project" ADD COLUMN     "taskOrder" "TaskOrder" NOT NULL DEFAULT 'imported';

-- AlterTable
ALTER TABLE "task" ADD COLUMN     "priority" DOUBLE PRECISION NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "task_acquisition" (
    "jobId" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "disagreement" DOUBLE PRECISION NOT NULL,
    "margin" DOUBLE PRECISION NOT NULL,
    "borderline" DOUBLE PRECISION,

    CONSTRAINT "task_acquisition_pkey" PRIMARY KEY ("jobId","taskId")
);

-- CreateIndex
CREATE INDEX "task_acquisition_jobId_rank_idx" ON "task_acquisition"("jobId", "rank");

-- CreateIndex
CREATE INDEX "task_acquisition_taskId_idx" ON "task_acquisition"("taskId");

-- CreateIndex
CREATE INDEX "task_projectId_isGold_rankable_annotationCount_priority_cre_idx" ON "task"("projectId", "isGold", "rankable", "annotationCount" DESC, "priority" DESC, "createdAt", "id");

-- AddForeignKey
ALTER TABLE "task_acquisition" ADD CONSTRAINT "task_acquisition_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task_acquisition" ADD CONSTRAINT "task_acquisition_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "task"("id") ON DELETE CASCADE ON UPDATE CASCADE;
