-- AlterTable
ALTER TABLE "project" ADD COLUMN     "defaultStrength" TEXT;
