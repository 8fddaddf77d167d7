-- AlterTable
ALTER TABLE "api_key" ADD COLUMN     "expiresAt" TIMESTAMP(3),
ADD COLUMN     "scopes" TEXT[] DEFAULT ARRAY['read']::TEXT[];

-- AlterTable
ALTER TABLE "import_batch" ADD COLUMN     "apiKeyId" TEXT;

-- AddForeignKey
ALTER TABLE "import_batch" ADD CONSTRAINT "import_batch_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "api_key"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Keys made before scopes could import and create snapshots: they keep doing so until revoked.
UPDATE "api_key" SET "scopes" = ARRAY['read', 'write'];
