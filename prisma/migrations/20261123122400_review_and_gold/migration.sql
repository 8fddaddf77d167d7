-- CreateEnum
CREATE TYPE "ReviewState" AS ENUM ('pending', 'accepted', 'rejected', 'corrected');

-- AlterTable
ALTER TABLE "annotation" ADD COLUMN     "reviewNote" TEXT,
ADD COLUMN     "reviewState" "ReviewState" NOT NULL DEFAULT 'pending',
ADD COLUMN     "reviewedAt" TIMESTAMP(3),
ADD COLUMN     "reviewedById" TEXT;

-- AlterTable
ALTER TABLE "project" ADD COLUMN     "goldThreshold" DOUBLE PRECISION NOT NULL DEFAULT 0.7;

-- AlterTable
ALTER TABLE "task" ADD COLUMN     "goldAnswer" JSONB;

-- CreateIndex
CREATE INDEX "annotation_reviewState_createdAt_idx" ON "annotation"("reviewState", "createdAt");

-- AddForeignKey
ALTER TABLE "annotation" ADD CONSTRAINT "annotation_reviewedById_fkey" FOREIGN KEY ("reviewedById") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
