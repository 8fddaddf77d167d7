// Large labelled projects generated inside PostgreSQL, for benchmarks and scale tests: tasks of K
// responses, `overlap` human annotations per task with their preference pairs. Task i was created,
// leased, labelled and submitted i seconds ago (a campaign spread over the days before).
import type pg from "pg";

export type BulkSeedOptions = {
  projectId: string;
  tasks: number;
  k?: number;
  overlap?: number;
  annotators?: number;
  /** Padding added to every response, to make records realistically long. */
  responseChars?: number;
};

export async function seedLabelledProject(client: pg.Client | pg.PoolClient, opts: BulkSeedOptions): Promise<void> {
  const { projectId: p, tasks } = opts;
  const k = opts.k ?? 4;
  const overlap = opts.overlap ?? 1;
  const annotators = opts.annotators ?? 50;
  const pad = "x".repeat(opts.responseChars ?? 0);
  const q = (sql: string, values: unknown[] = []) => client.query(sql, values);
  await q(`INSERT INTO project (id, name, k, overlap, "updatedAt") VALUES ($1, $1, $2, $3, now())`, [p, k, overlap]);
  await q(`INSERT INTO "user" (id, name, email, role, "updatedAt")
    SELECT $1 || '-u' || i, 'Annotator ' || i, $1 || '-a' || i || '@bench.example', 'annotator', now() FROM generate_series(1, $2::int) i`, [p, annotators]);
  await q(`INSERT INTO prompt (id, "projectId", messages, "contentHash")
    SELECT $1 || '-p' || i, $1, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Question ' || i)), md5($1 || i) FROM generate_series(1, $2::int) i`, [p, tasks]);
  await q(`INSERT INTO task (id, "projectId", "promptId", "contentHash", "annotationCount", "createdAt")
    SELECT $1 || '-t' || i, $1, $1 || '-p' || i, md5($1 || i), $3::int, now() - (i || ' seconds')::interval FROM generate_series(1, $2::int) i`, [p, tasks, overlap]);
  await q(`INSERT INTO response (id, "taskId", index, content, model)
    SELECT $1 || '-t' || i || 'r' || j, $1 || '-t' || i, j, 'Answer ' || j || ' to question ' || i || ' ' || $4, 'policy-v' || (j % 2)
    FROM generate_series(1, $2::int) i, generate_series(0, $3::int - 1) j`, [p, tasks, k, pad]);
  await q(`INSERT INTO assignment (id, "taskId", "annotatorId", state, "leaseExpiresAt", "shownOrder", "createdAt", "finishedAt")
    SELECT $1 || '-t' || i || 'a' || s, $1 || '-t' || i, $1 || '-u' || (1 + (i * 7 + s * 13) % $4::int), 'submitted', now(),
           ARRAY(SELECT $1 || '-t' || i || 'r' || j FROM generate_series(0, $5::int - 1) j ORDER BY (j + i + s) % $5::int),
           now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval
    FROM generate_series(1, $2::int) i, generate_series(0, $3::int - 1) s`, [p, tasks, overlap, annotators, k]);
  // Strict rankings in the shown order (position bias included, as real data has some).
  await q(`INSERT INTO annotation (id, "taskId", "assignmentId", "annotatorId", ranking, strengths, "shownOrder", "promptPolicy", rubric, flags, "timeSpentMs", "createdAt")
    SELECT a.id || 'n', a."taskId", a.id, a."annotatorId",
           (SELECT jsonb_agg(jsonb_build_array(x) ORDER BY o) FROM unnest(a."shownOrder") WITH ORDINALITY AS u(x, o)),
           array_fill('clear'::text, ARRAY[$2::int - 1]), a."shownOrder", 'allowed', '{}',
           CASE WHEN random() < 0.05 THEN jsonb_build_object(a."shownOrder"[1], jsonb_build_array('unsafe')) ELSE '{}' END, (20000 + random() * 60000)::int, a."createdAt"
    FROM assignment a JOIN task t ON t.id = a."taskId" WHERE t."projectId" = $1`, [p, k]);
  await q(`INSERT INTO preference_pair ("annotationId", "taskId", "chosenResponseId", "rejectedResponseId", margin, strength, "chosenRank", "rejectedRank", "createdAt")
    SELECT n.id, n."taskId", n."shownOrder"[i], n."shownOrder"[j], least(1, (j - i) * 2.0 / 3), 'clear', i - 1, j - 1, n."createdAt"
    FROM annotation n JOIN task t ON t.id = n."taskId", generate_series(1, $2::int) i, generate_series(1, $2::int) j
    WHERE t."projectId" = $1 AND i < j`, [p, k]);
  await q("ANALYZE");
}
