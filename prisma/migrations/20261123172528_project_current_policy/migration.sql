-- AlterTable
ALTER TABLE "project" ADD COLUMN     "currentPolicyId" TEXT;

-- AddForeignKey
ALTER TABLE "project" ADD CONSTRAINT "project_currentPolicyId_fkey" FOREIGN KEY ("currentPolicyId") REFERENCES "model_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;
