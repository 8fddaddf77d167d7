-- AlterTable
ALTER TABLE "annotation" ADD COLUMN     "reviewSeenAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "annotation_annotatorId_reviewedAt_idx" ON "annotation"("annotatorId", "reviewedAt");
