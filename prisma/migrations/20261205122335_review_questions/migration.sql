-- AlterTable
ALTER TABLE "annotation" ADD COLUMN     "lastReplyAt" TIMESTAMP(3),
ADD COLUMN     "questionOpenAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "review_message" (
    "id" TEXT NOT NULL,
    "annotationId" TEXT NOT NULL,
    "authorId" TEXT,
    "fromAnnotator" BOOLEAN NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "review_message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "review_message_annotationId_createdAt_idx" ON "review_message"("annotationId", "createdAt");

-- CreateIndex
CREATE INDEX "annotation_questionOpenAt_idx" ON "annotation"("questionOpenAt");

-- AddForeignKey
ALTER TABLE "review_message" ADD CONSTRAINT "review_message_annotationId_fkey" FOREIGN KEY ("annotationId") REFERENCES "annotation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review_message" ADD CONSTRAINT "review_message_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
