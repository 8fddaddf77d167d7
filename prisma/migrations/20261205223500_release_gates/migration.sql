-- AlterTable
ALTER TABLE "project" ADD COLUMN     "releaseGates" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "promotion_decision" (
    "id" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "previousPolicyId" TEXT,
    "gates" JSONB NOT NULL,
    "overrideReason" TEXT,
    "actorId" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "promotion_decision_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "promotion_decision_modelVersionId_at_idx" ON "promotion_decision"("modelVersionId", "at");

-- CreateIndex
CREATE INDEX "promotion_decision_projectId_at_idx" ON "promotion_decision"("projectId", "at");

-- AddForeignKey
ALTER TABLE "promotion_decision" ADD CONSTRAINT "promotion_decision_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion_decision" ADD CONSTRAINT "promotion_decision_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion_decision" ADD CONSTRAINT "promotion_decision_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
