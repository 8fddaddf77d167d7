-- CreateEnum
CREATE TYPE "FeedbackEvent" AS ENUM ('regenerate', 'edit');

-- CreateEnum
CREATE TYPE "FeedbackTaskPurpose" AS ENUM ('kto', 'labelling');

-- AlterTable
ALTER TABLE "project" ADD COLUMN     "feedbackSampling" JSONB;

-- CreateTable
CREATE TABLE "feedback_conversation" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "modelVersionId" TEXT,
    "messages" JSONB NOT NULL,
    "answer" TEXT NOT NULL,
    "rating" "Feedback",
    "event" "FeedbackEvent",
    "editedAnswer" TEXT,
    "comment" TEXT,
    "redactions" JSONB NOT NULL DEFAULT '{}',
    "promptHash" TEXT NOT NULL,
    "sampled" BOOLEAN NOT NULL DEFAULT false,
    "apiKeyId" TEXT,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feedback_conversation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "feedback_conversation_task" (
    "conversationId" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "purpose" "FeedbackTaskPurpose" NOT NULL,

    CONSTRAINT "feedback_conversation_task_pkey" PRIMARY KEY ("conversationId","taskId")
);

-- CreateIndex
CREATE INDEX "feedback_conversation_projectId_promptHash_idx" ON "feedback_conversation"("projectId", "promptHash");

-- CreateIndex
CREATE UNIQUE INDEX "feedback_conversation_projectId_externalId_key" ON "feedback_conversation"("projectId", "externalId");

-- CreateIndex
CREATE INDEX "feedback_conversation_task_taskId_idx" ON "feedback_conversation_task"("taskId");

-- AddForeignKey
ALTER TABLE "feedback_conversation" ADD CONSTRAINT "feedback_conversation_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback_conversation" ADD CONSTRAINT "feedback_conversation_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "model_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback_conversation" ADD CONSTRAINT "feedback_conversation_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "api_key"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback_conversation_task" ADD CONSTRAINT "feedback_conversation_task_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "feedback_conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback_conversation_task" ADD CONSTRAINT "feedback_conversation_task_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "task"("id") ON DELETE CASCADE ON UPDATE CASCADE;
