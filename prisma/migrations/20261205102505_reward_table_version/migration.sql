-- AlterTable
ALTER TABLE "project" ADD COLUMN     "rewardTableVersion" INTEGER NOT NULL DEFAULT 1;
