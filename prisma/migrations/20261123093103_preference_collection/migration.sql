-- CreateEnum
CREATE TYPE "PromptSource" AS ENUM ('production', 'red_team', 'model_generated', 'imported');

-- CreateEnum
CREATE TYPE "PromptPolicy" AS ENUM ('allowed', 'sensitive', 'disallowed');

-- CreateEnum
CREATE TYPE "AssignmentState" AS ENUM ('leased', 'submitted', 'skipped', 'expired');

-- CreateEnum
CREATE TYPE "AnnotationOrigin" AS ENUM ('human', 'imported');

-- CreateEnum
CREATE TYPE "ReportReason" AS ENUM ('pii', 'broken', 'offensive', 'other');

-- AlterTable
ALTER TABLE "project" ADD COLUMN     "guidelinesVersion" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "harmTaxonomy" TEXT[] DEFAULT ARRAY['violence', 'self-harm', 'sexual', 'hate/harassment', 'weapons & illegal activity', 'privacy', 'regulated advice', 'misinformation', 'other']::TEXT[],
ADD COLUMN     "leaseMinutes" INTEGER NOT NULL DEFAULT 15,
ADD COLUMN     "rewardTable" JSONB NOT NULL DEFAULT '{"disallowed":{"A":1.0,"B":0.3,"C":-1.0,"D":0.5},"sensitive":{"A":-0.3,"B":-0.5,"C":-1.0,"D":1.0},"allowed":{"A":-1.0,"B":-1.0,"C":-1.0,"D":1.0}}';

-- CreateTable
CREATE TABLE "prompt" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "messages" JSONB NOT NULL,
    "source" "PromptSource" NOT NULL DEFAULT 'imported',
    "meta" JSONB NOT NULL DEFAULT '{}',
    "contentHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prompt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "task" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "promptId" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "isGold" BOOLEAN NOT NULL DEFAULT false,
    "annotationCount" INTEGER NOT NULL DEFAULT 0,
    "importBatchId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "response" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "content" TEXT NOT NULL,
    "model" TEXT,
    "genParams" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "response_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assignment" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "annotatorId" TEXT NOT NULL,
    "state" "AssignmentState" NOT NULL DEFAULT 'leased',
    "leaseExpiresAt" TIMESTAMP(3) NOT NULL,
    "shownOrder" TEXT[],
    "skipReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "assignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "annotation" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "assignmentId" TEXT,
    "annotatorId" TEXT,
    "origin" "AnnotationOrigin" NOT NULL DEFAULT 'human',
    "idempotencyKey" TEXT,
    "ranking" JSONB NOT NULL,
    "strengths" TEXT[],
    "verdict" TEXT,
    "shownOrder" TEXT[],
    "promptPolicy" "PromptPolicy",
    "harmCategory" TEXT,
    "rubric" JSONB NOT NULL DEFAULT '{}',
    "flags" JSONB NOT NULL DEFAULT '{}',
    "rationale" TEXT,
    "timeSpentMs" INTEGER,
    "guidelinesVersion" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "annotation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "preference_pair" (
    "id" BIGSERIAL NOT NULL,
    "annotationId" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "chosenResponseId" TEXT NOT NULL,
    "rejectedResponseId" TEXT NOT NULL,
    "margin" DOUBLE PRECISION NOT NULL,
    "strength" TEXT NOT NULL,
    "chosenRank" INTEGER NOT NULL,
    "rejectedRank" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "preference_pair_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "demonstration" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "authorId" TEXT,
    "content" TEXT NOT NULL,
    "basedOnResponseId" TEXT,
    "idempotencyKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "demonstration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prompt_report" (
    "id" TEXT NOT NULL,
    "promptId" TEXT NOT NULL,
    "reporterId" TEXT,
    "reason" "ReportReason" NOT NULL,
    "note" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prompt_report_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "import_batch" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "layout" TEXT NOT NULL,
    "filename" TEXT,
    "strict" BOOLEAN NOT NULL DEFAULT false,
    "rowsRead" INTEGER NOT NULL DEFAULT 0,
    "imported" INTEGER NOT NULL DEFAULT 0,
    "duplicates" INTEGER NOT NULL DEFAULT 0,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "import_batch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "prompt_projectId_contentHash_key" ON "prompt"("projectId", "contentHash");

-- CreateIndex
CREATE INDEX "task_projectId_isGold_annotationCount_idx" ON "task"("projectId", "isGold", "annotationCount");

-- CreateIndex
CREATE UNIQUE INDEX "task_projectId_contentHash_key" ON "task"("projectId", "contentHash");

-- CreateIndex
CREATE UNIQUE INDEX "response_taskId_index_key" ON "response"("taskId", "index");

-- CreateIndex
CREATE INDEX "assignment_annotatorId_state_idx" ON "assignment"("annotatorId", "state");

-- CreateIndex
CREATE INDEX "assignment_taskId_state_leaseExpiresAt_idx" ON "assignment"("taskId", "state", "leaseExpiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "assignment_taskId_annotatorId_key" ON "assignment"("taskId", "annotatorId");

-- CreateIndex
CREATE UNIQUE INDEX "annotation_assignmentId_key" ON "annotation"("assignmentId");

-- CreateIndex
CREATE UNIQUE INDEX "annotation_idempotencyKey_key" ON "annotation"("idempotencyKey");

-- CreateIndex
CREATE INDEX "annotation_taskId_idx" ON "annotation"("taskId");

-- CreateIndex
CREATE INDEX "annotation_annotatorId_createdAt_idx" ON "annotation"("annotatorId", "createdAt");

-- CreateIndex
CREATE INDEX "preference_pair_annotationId_idx" ON "preference_pair"("annotationId");

-- CreateIndex
CREATE INDEX "preference_pair_taskId_idx" ON "preference_pair"("taskId");

-- CreateIndex
CREATE UNIQUE INDEX "demonstration_idempotencyKey_key" ON "demonstration"("idempotencyKey");

-- CreateIndex
CREATE INDEX "demonstration_taskId_idx" ON "demonstration"("taskId");

-- CreateIndex
CREATE INDEX "prompt_report_promptId_idx" ON "prompt_report"("promptId");

-- AddForeignKey
ALTER TABLE "prompt" ADD CONSTRAINT "prompt_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task" ADD CONSTRAINT "task_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task" ADD CONSTRAINT "task_promptId_fkey" FOREIGN KEY ("promptId") REFERENCES "prompt"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task" ADD CONSTRAINT "task_importBatchId_fkey" FOREIGN KEY ("importBatchId") REFERENCES "import_batch"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "response" ADD CONSTRAINT "response_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment" ADD CONSTRAINT "assignment_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment" ADD CONSTRAINT "assignment_annotatorId_fkey" FOREIGN KEY ("annotatorId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "annotation" ADD CONSTRAINT "annotation_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "annotation" ADD CONSTRAINT "annotation_assignmentId_fkey" FOREIGN KEY ("assignmentId") REFERENCES "assignment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "annotation" ADD CONSTRAINT "annotation_annotatorId_fkey" FOREIGN KEY ("annotatorId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "preference_pair" ADD CONSTRAINT "preference_pair_annotationId_fkey" FOREIGN KEY ("annotationId") REFERENCES "annotation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "preference_pair" ADD CONSTRAINT "preference_pair_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "demonstration" ADD CONSTRAINT "demonstration_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "demonstration" ADD CONSTRAINT "demonstration_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prompt_report" ADD CONSTRAINT "prompt_report_promptId_fkey" FOREIGN KEY ("promptId") REFERENCES "prompt"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prompt_report" ADD CONSTRAINT "prompt_report_reporterId_fkey" FOREIGN KEY ("reporterId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_batch" ADD CONSTRAINT "import_batch_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
