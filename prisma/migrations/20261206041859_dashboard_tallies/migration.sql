-- CreateIndex
CREATE INDEX "quality_time_spent_projectId_timeSpentMs_idx" ON "quality_time_spent"("projectId", "timeSpentMs");

-- Tallies now also count review states, prompt policies and rubric grades by model (the project
-- dashboard's figures): every tally counted before lacks them, so its task is counted again on the
-- next open of the dashboard or the quality report.
INSERT INTO task_quality_stale ("taskId", "projectId")
SELECT "taskId", "projectId" FROM task_quality
ON CONFLICT ("taskId") DO NOTHING;

-- The dashboard's "active in the last hour": assignments leased or finished since then, read from
-- an index instead of a scan of every assignment (an expression index, which Prisma's schema does
-- not describe and its diff leaves alone).
CREATE INDEX "assignment_last_activity_idx" ON "assignment" (greatest("createdAt", "finishedAt"));
