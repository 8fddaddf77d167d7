-- CreateTable
CREATE TABLE "red_team_campaign" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "targetModelId" TEXT NOT NULL,
    "goals" JSONB NOT NULL,
    "domains" TEXT[],
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closedAt" TIMESTAMP(3),

    CONSTRAINT "red_team_campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "red_team_attempt" (
    "id" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "authorId" TEXT,
    "modelVersionId" TEXT NOT NULL,
    "messages" JSONB NOT NULL,
    "harmCategory" TEXT NOT NULL,
    "domain" TEXT,
    "tactics" TEXT[],
    "tacticNote" TEXT NOT NULL DEFAULT '',
    "promptPolicy" "PromptPolicy" NOT NULL,
    "grade" TEXT NOT NULL,
    "success" BOOLEAN NOT NULL,
    "attackHash" TEXT NOT NULL,
    "sendJobId" TEXT,
    "taskId" TEXT,
    "regressionPromptId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "red_team_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "red_team_campaign_projectId_name_key" ON "red_team_campaign"("projectId", "name");

-- CreateIndex
CREATE INDEX "red_team_attempt_campaignId_createdAt_idx" ON "red_team_attempt"("campaignId", "createdAt");

-- CreateIndex
CREATE INDEX "red_team_attempt_campaignId_success_idx" ON "red_team_attempt"("campaignId", "success");

-- AddForeignKey
ALTER TABLE "red_team_campaign" ADD CONSTRAINT "red_team_campaign_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "red_team_campaign" ADD CONSTRAINT "red_team_campaign_targetModelId_fkey" FOREIGN KEY ("targetModelId") REFERENCES "model_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "red_team_campaign" ADD CONSTRAINT "red_team_campaign_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "red_team_attempt" ADD CONSTRAINT "red_team_attempt_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "red_team_campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "red_team_attempt" ADD CONSTRAINT "red_team_attempt_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "red_team_attempt" ADD CONSTRAINT "red_team_attempt_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "model_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
