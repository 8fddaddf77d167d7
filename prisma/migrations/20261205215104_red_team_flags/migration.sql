-- CreateEnum
CREATE TYPE "EvaluationSetKind" AS ENUM ('general', 'red_team');

-- AlterTable
ALTER TABLE "evaluation_set" ADD COLUMN     "kind" "EvaluationSetKind" NOT NULL DEFAULT 'general';

-- AlterTable
ALTER TABLE "user" ADD COLUMN     "redTeamer" BOOLEAN NOT NULL DEFAULT false;
