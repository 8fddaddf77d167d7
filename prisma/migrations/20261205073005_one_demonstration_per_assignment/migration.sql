-- AlterTable
ALTER TABLE "demonstration" ADD COLUMN     "assignmentId" TEXT,
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE UNIQUE INDEX "demonstration_assignmentId_key" ON "demonstration"("assignmentId");

-- AddForeignKey
ALTER TABLE "demonstration" ADD CONSTRAINT "demonstration_assignmentId_fkey" FOREIGN KEY ("assignmentId") REFERENCES "assignment"("id") ON DELETE SET NULL ON UPDATE CASCADE;
