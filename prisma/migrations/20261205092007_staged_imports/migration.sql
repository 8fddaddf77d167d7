-- CreateEnum
CREATE TYPE "ImportStatus" AS ENUM ('receiving', 'committed', 'refused');

-- AlterTable
ALTER TABLE "import_batch" ADD COLUMN     "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "status" "ImportStatus" NOT NULL DEFAULT 'committed';

-- CreateTable
CREATE TABLE "import_staged_row" (
    "batchId" TEXT NOT NULL,
    "line" INTEGER NOT NULL,
    "record" JSONB NOT NULL,

    CONSTRAINT "import_staged_row_pkey" PRIMARY KEY ("batchId","line")
);

-- CreateIndex
CREATE INDEX "import_batch_status_heartbeatAt_idx" ON "import_batch"("status", "heartbeatAt");

-- AddForeignKey
ALTER TABLE "import_staged_row" ADD CONSTRAINT "import_staged_row_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "import_batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A strict import with a bad row imported nothing: those batches were refused.
UPDATE "import_batch" SET "status" = 'refused' WHERE "strict" AND "errors" <> '[]'::jsonb;
