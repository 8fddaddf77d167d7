-- CreateEnum
CREATE TYPE "ModelKind" AS ENUM ('base', 'policy', 'reward', 'safety', 'sft');

-- AlterTable
ALTER TABLE "job" ADD COLUMN     "logTail" TEXT,
ADD COLUMN     "outputDir" TEXT,
ADD COLUMN     "step" INTEGER,
ADD COLUMN     "totalSteps" INTEGER;

-- CreateTable
CREATE TABLE "metric" (
    "id" BIGSERIAL NOT NULL,
    "jobId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "attempt" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "metric_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_version" (
    "id" TEXT NOT NULL,
    "kind" "ModelKind" NOT NULL,
    "name" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "builtin" BOOLEAN NOT NULL DEFAULT false,
    "parentId" TEXT,
    "rewardModelId" TEXT,
    "safetyModelId" TEXT,
    "snapshotId" TEXT,
    "jobId" TEXT,
    "projectId" TEXT,
    "eval" JSONB,
    "config" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_version_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "metric_jobId_name_step_key" ON "metric"("jobId", "name", "step");

-- CreateIndex
CREATE INDEX "model_version_kind_createdAt_idx" ON "model_version"("kind", "createdAt");

-- CreateIndex
CREATE INDEX "model_version_parentId_idx" ON "model_version"("parentId");

-- CreateIndex
CREATE UNIQUE INDEX "model_version_jobId_kind_key" ON "model_version"("jobId", "kind");

-- AddForeignKey
ALTER TABLE "metric" ADD CONSTRAINT "metric_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "model_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_rewardModelId_fkey" FOREIGN KEY ("rewardModelId") REFERENCES "model_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_safetyModelId_fkey" FOREIGN KEY ("safetyModelId") REFERENCES "model_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "snapshot"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "job"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE SET NULL ON UPDATE CASCADE;
