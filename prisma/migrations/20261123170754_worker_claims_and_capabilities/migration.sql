-- AlterTable
ALTER TABLE "job" ADD COLUMN     "bossJobId" TEXT,
ADD COLUMN     "gpus" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "worker" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "capabilities" JSONB NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "worker_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "job_state_heartbeatAt_idx" ON "job"("state", "heartbeatAt");
