-- DropIndex
DROP INDEX "model_version_jobId_kind_key";

-- AlterTable
ALTER TABLE "model_version" ADD COLUMN     "checkpointStep" INTEGER,
ADD COLUMN     "prunedAt" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "model_version_jobId_kind_checkpointStep_key" ON "model_version"("jobId", "kind", "checkpointStep");
