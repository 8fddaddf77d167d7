-- CreateEnum
CREATE TYPE "EvaluationKind" AS ENUM ('reward', 'safety', 'policy');

-- AlterTable
ALTER TABLE "project" ADD COLUMN     "heldOutFraction" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
ADD COLUMN     "heldOutSplit" TEXT;

-- CreateTable
CREATE TABLE "evaluation_set" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "evaluation_set_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "evaluation_prompt" (
    "id" TEXT NOT NULL,
    "setId" TEXT NOT NULL,
    "messages" JSONB NOT NULL,
    "policy" "PromptPolicy" NOT NULL,
    "harmCategory" TEXT,
    "contentHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "evaluation_prompt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_evaluation" (
    "id" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "kind" "EvaluationKind" NOT NULL,
    "evaluationSetId" TEXT,
    "setVersion" INTEGER,
    "snapshotId" TEXT,
    "split" TEXT,
    "results" JSONB NOT NULL,
    "output" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "evaluation_set_projectId_name_key" ON "evaluation_set"("projectId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "evaluation_prompt_setId_contentHash_key" ON "evaluation_prompt"("setId", "contentHash");

-- CreateIndex
CREATE INDEX "model_evaluation_modelVersionId_createdAt_idx" ON "model_evaluation"("modelVersionId", "createdAt");

-- CreateIndex
CREATE INDEX "model_evaluation_evaluationSetId_createdAt_idx" ON "model_evaluation"("evaluationSetId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "model_evaluation_jobId_modelVersionId_kind_key" ON "model_evaluation"("jobId", "modelVersionId", "kind");

-- AddForeignKey
ALTER TABLE "evaluation_set" ADD CONSTRAINT "evaluation_set_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evaluation_prompt" ADD CONSTRAINT "evaluation_prompt_setId_fkey" FOREIGN KEY ("setId") REFERENCES "evaluation_set"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_evaluation" ADD CONSTRAINT "model_evaluation_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_evaluation" ADD CONSTRAINT "model_evaluation_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_evaluation" ADD CONSTRAINT "model_evaluation_evaluationSetId_fkey" FOREIGN KEY ("evaluationSetId") REFERENCES "evaluation_set"("id") ON DELETE SET NULL ON UPDATE CASCADE;
