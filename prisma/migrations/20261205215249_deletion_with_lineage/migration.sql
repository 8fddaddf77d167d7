-- AlterTable
ALTER TABLE "model_version" ADD COLUMN     "retrainFlaggedAt" TIMESTAMP(3),
ADD COLUMN     "retrainReason" TEXT;

-- AlterTable
ALTER TABLE "snapshot" ADD COLUMN     "containsDeletedDataAt" TIMESTAMP(3),
ADD COLUMN     "deletionIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "replacesBecause" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "replacesId" TEXT;

-- CreateTable
CREATE TABLE "data_deletion" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "promptIds" TEXT[],
    "taskIds" TEXT[],
    "responseIds" TEXT[],
    "annotationCount" INTEGER NOT NULL,
    "demonstrationCount" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "actorId" TEXT,
    "apiKeyId" TEXT,
    "snapshotIds" TEXT[],
    "modelIds" TEXT[],
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "data_deletion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "data_deletion_projectId_at_idx" ON "data_deletion"("projectId", "at");

-- AddForeignKey
ALTER TABLE "data_deletion" ADD CONSTRAINT "data_deletion_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "data_deletion" ADD CONSTRAINT "data_deletion_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "data_deletion" ADD CONSTRAINT "data_deletion_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "api_key"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "snapshot" ADD CONSTRAINT "snapshot_replacesId_fkey" FOREIGN KEY ("replacesId") REFERENCES "snapshot"("id") ON DELETE SET NULL ON UPDATE CASCADE;
