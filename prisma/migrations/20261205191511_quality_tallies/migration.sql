-- CreateTable
CREATE TABLE "task_quality" (
    "taskId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "annotations" INTEGER NOT NULL,
    "agreement" DOUBLE PRECISION,
    "disagreement" DOUBLE PRECISION NOT NULL,
    "policyConflict" BOOLEAN NOT NULL,
    "tally" TEXT NOT NULL,

    CONSTRAINT "task_quality_pkey" PRIMARY KEY ("taskId")
);

-- CreateTable
CREATE TABLE "project_quality" (
    "projectId" TEXT NOT NULL,
    "tally" TEXT NOT NULL DEFAULT '{}',

    CONSTRAINT "project_quality_pkey" PRIMARY KEY ("projectId")
);

-- CreateTable
CREATE TABLE "quality_time_spent" (
    "taskId" TEXT NOT NULL,
    "annotationId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "annotatorId" TEXT NOT NULL,
    "timeSpentMs" INTEGER NOT NULL,

    CONSTRAINT "quality_time_spent_pkey" PRIMARY KEY ("taskId","annotationId")
);

-- CreateTable
CREATE TABLE "task_quality_stale" (
    "taskId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,

    CONSTRAINT "task_quality_stale_pkey" PRIMARY KEY ("taskId")
);

-- CreateIndex
CREATE INDEX "task_quality_projectId_disagreement_policyConflict_taskId_idx" ON "task_quality"("projectId", "disagreement" DESC, "policyConflict" DESC, "taskId");

-- CreateIndex
CREATE INDEX "quality_time_spent_projectId_annotatorId_timeSpentMs_idx" ON "quality_time_spent"("projectId", "annotatorId", "timeSpentMs");

-- CreateIndex
CREATE INDEX "task_quality_stale_projectId_idx" ON "task_quality_stale"("projectId");

-- AddForeignKey
ALTER TABLE "task_quality" ADD CONSTRAINT "task_quality_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "project_quality" ADD CONSTRAINT "project_quality_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quality_time_spent" ADD CONSTRAINT "quality_time_spent_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task_quality_stale" ADD CONSTRAINT "task_quality_stale_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Queue the tasks whose quality tally is out of date. A task's tally depends on its annotations,
-- its assignments and its gold answer, so changes to the columns it reads queue it. The project
-- comes from the task, or from the old tally when the task itself was deleted, and nothing is
-- queued while the project itself is being deleted.
CREATE FUNCTION quality_mark_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed text[];
BEGIN
  IF TG_TABLE_NAME = 'task' THEN
    SELECT array_agg(n.id) INTO changed FROM new_rows n JOIN old_rows o USING (id)
    WHERE (n."isGold", n."goldAnswer") IS DISTINCT FROM (o."isGold", o."goldAnswer");
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT n."taskId") INTO changed FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT o."taskId") INTO changed FROM old_rows o;
  ELSIF TG_TABLE_NAME = 'assignment' THEN
    SELECT array_agg(DISTINCT x.id) INTO changed FROM new_rows n JOIN old_rows o USING (id),
      unnest(ARRAY[n."taskId", o."taskId"]) AS x(id)
    WHERE (n."taskId", n."annotatorId", n.state) IS DISTINCT FROM (o."taskId", o."annotatorId", o.state);
  ELSE
    SELECT array_agg(DISTINCT x.id) INTO changed FROM new_rows n JOIN old_rows o USING (id),
      unnest(ARRAY[n."taskId", o."taskId"]) AS x(id)
    WHERE (n."taskId", n."annotatorId", n.ranking, n."shownOrder", n."promptPolicy", n."harmCategory", n.rubric, n."timeSpentMs", n."reviewState")
      IS DISTINCT FROM (o."taskId", o."annotatorId", o.ranking, o."shownOrder", o."promptPolicy", o."harmCategory", o.rubric, o."timeSpentMs", o."reviewState");
  END IF;
  IF changed IS NOT NULL THEN
    INSERT INTO task_quality_stale ("taskId", "projectId")
    SELECT c.id, p.id
    FROM unnest(changed) AS c(id)
    LEFT JOIN task t ON t.id = c.id
    LEFT JOIN task_quality q ON q."taskId" = c.id
    JOIN project p ON p.id = coalesce(t."projectId", q."projectId")
    ON CONFLICT ("taskId") DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['annotation', 'assignment'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_quality_insert AFTER INSERT ON %1$I
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION quality_mark_stale()', tbl);
    EXECUTE format('CREATE TRIGGER %1$s_quality_update AFTER UPDATE ON %1$I
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION quality_mark_stale()', tbl);
    EXECUTE format('CREATE TRIGGER %1$s_quality_delete AFTER DELETE ON %1$I
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION quality_mark_stale()', tbl);
  END LOOP;
END
$$;
CREATE TRIGGER task_quality_gold AFTER UPDATE ON task
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION quality_mark_stale();

-- Work from before the tallies existed: every task with annotations or assignments starts out of date.
INSERT INTO task_quality_stale ("taskId", "projectId")
SELECT t.id, t."projectId" FROM task t
WHERE EXISTS (SELECT 1 FROM annotation n WHERE n."taskId" = t.id) OR EXISTS (SELECT 1 FROM assignment a WHERE a."taskId" = t.id);
