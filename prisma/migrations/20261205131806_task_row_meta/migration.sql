-- AlterTable
ALTER TABLE "task" ADD COLUMN     "meta" JSONB;
