-- AlterTable
ALTER TABLE "audit_log" ADD COLUMN     "projectId" TEXT;

-- CreateIndex
CREATE INDEX "audit_log_projectId_at_idx" ON "audit_log"("projectId", "at");

-- CreateIndex
CREATE INDEX "audit_log_actorId_at_idx" ON "audit_log"("actorId", "at");

-- Earlier rows about a project name it in their target.
UPDATE "audit_log" SET "projectId" = substring("target" from 9) WHERE "target" LIKE 'project:%';
