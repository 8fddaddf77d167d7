-- At most one serve job per model version holds or waits for a server. The check when a job is
-- queued cannot see a job that another request is inserting at the same moment; this index can.
-- Duplicates left by that race before the index existed are cancelled first (the oldest stays).
UPDATE "job"
SET "state" = 'cancelled', "finishedAt" = now(), "error" = 'Cancelled on upgrade: an older serve job of the same model version was already active'
WHERE "id" IN (
  SELECT "id" FROM (
    SELECT "id", row_number() OVER (PARTITION BY "payload"->>'modelVersionId' ORDER BY "createdAt", "id") AS "n"
    FROM "job" WHERE "kind" = 'serve' AND "state" IN ('queued', 'running')
  ) AS "active" WHERE "n" > 1
);

CREATE UNIQUE INDEX "job_one_active_serve_per_model" ON "job" (("payload"->>'modelVersionId')) WHERE "kind" = 'serve' AND "state" IN ('queued', 'running');
