// The `pairs` format with aggregate=raw, built inside PostgreSQL: one line of JSON text per stored
// preference pair, byte for byte what serialise("pairs", …) + JSON.stringify write for the same rows
// (server/export/sql-pairs.integration.test.ts holds the two side by side). The text is assembled
// from pieces computed once per task and once per annotation; strings are escaped by to_json and
// imported JSON (meta, ids, safety labels) is written by export_js_json, which follows
// JSON.stringify's number format and key order (prisma/migrations/*_export_json_functions).
//
// Pairs come from preference_pair, in the order derivePairs makes them: by the two groups' ranks,
// then as written (submit, correction and import insert them in that order). Margins are the
// stored ones, which derivePairs computed when the pairs were written.
import { Prisma } from "../generated/prisma/client";

/** A task's place in the export order (createdAt, id); `after` is exclusive, `upTo` inclusive. */
export type TaskKey = { createdAt: Date; id: string };

/** JavaScript's number text for a margin: PostgreSQL prints the same shortest digits in fixed
 *  notation from 1e-4 up to 1e15, so only the rest goes through export_js_float8. */
const marginText = Prisma.sql`CASE WHEN pp.margin = 1 THEN '1' WHEN pp.margin = 0 THEN '0'
  WHEN pp.margin >= 1e-4 AND pp.margin < 1e15 THEN pp.margin::text ELSE export_js_float8(pp.margin) END`;

/** safetyOf: the judgement's labels limited to the pair's two responses, or the imported row's. */
const safetyText = Prisma.sql`CASE WHEN n."promptPolicy" IS NULL THEN CASE WHEN tp.file_safety IS NOT NULL THEN concat(',"safety":', tp.file_safety) END
  ELSE concat(n.safety_head,
    CASE WHEN n.rubric <> '{}' THEN (
      SELECT concat(',"rubric":{', string_agg(concat('"', tp.resp_id_inner[x.i], '":', export_js_json(n.rubric -> tp.resp_ids[x.i])), ',' ORDER BY x.o), '}')
      FROM (VALUES (pp.ci, 1), (pp.ri, 2)) x(i, o)
      WHERE n.rubric -> tp.resp_ids[x.i] IS NOT NULL AND n.rubric -> tp.resp_ids[x.i] NOT IN ('""', '0', 'false', 'null')
      HAVING count(*) > 0) END, '}') END`;

/** Tasks in (after, upTo], in the task index's own order. */
function taskRange(after: TaskKey | null, upTo: TaskKey | null): Prisma.Sql {
  return Prisma.sql`${after ? Prisma.sql`AND (t."createdAt", t.id) > (${after.createdAt}, ${after.id})` : Prisma.empty}
    ${upTo ? Prisma.sql`AND (t."createdAt", t.id) <= (${upTo.createdAt}, ${upTo.id})` : Prisma.empty}`;
}

/**
 * The SELECT of one batch of tasks, one row (one JSON line, no newline) per pair. Rows come in
 * export order because every level is a LATERAL subquery with its own ORDER BY (kept as is by
 * OFFSET 0) nested under the ordered tasks: run with max_parallel_workers_per_gather = 0, so no
 * Gather reorders them, and with extra_float_digits = 1 (shortest float digits).
 */
export function pairsLinesSql({ tasks, annotations, after, upTo }: { tasks: Prisma.Sql; annotations: Prisma.Sql; after: TaskKey | null; upTo: TaskKey | null }): Prisma.Sql {
  const range = taskRange(after, upTo);
  return Prisma.sql`
SELECT concat('{"id":', CASE WHEN n.pair_count = 1 THEN tp.file_id
                ELSE concat('"', n.id_inner, ':', tp.resp_id_inner[pp.ci], ':', tp.resp_id_inner[pp.ri], '"') END,
  tp.prompt_to_chosen, tp.resp_json[pp.ci], '}],"rejected":[{"role":"assistant","content":', tp.resp_json[pp.ri], '}],"margin":',
  ${marginText}, ${safetyText},
  CASE WHEN n.origin = 'imported' THEN n.tail
       ELSE concat(n.tail, tp.resp_id_inner[pp.ci], '","rejectedId":"', tp.resp_id_inner[pp.ri], '","strength":"', pp.strength, '"}', tp.meta_tail, '}') END)
FROM (SELECT t.id, t."createdAt", t."projectId", p.messages, p.source, COALESCE(t.meta, p.meta, '{}') AS meta
      FROM task t JOIN prompt p ON p.id = t."promptId"
      WHERE ${tasks} ${range}
      ORDER BY t."createdAt", t.id OFFSET 0) t
CROSS JOIN LATERAL (
  SELECT t.source::text AS source,
    concat(',"prompt":[', (SELECT string_agg(concat('{"role":', m -> 'role', ',"content":', m -> 'content', '}'), ',' ORDER BY o)
                 FROM jsonb_array_elements(t.messages) WITH ORDINALITY AS e(m, o)), '],"chosen":[{"role":"assistant","content":') AS prompt_to_chosen,
    rs.resp_ids, rs.resp_json, rs.resp_id_inner,
    CASE WHEN jsonb_typeof(t.meta -> 'id') IN ('string', 'number') THEN export_js_json(t.meta -> 'id') END AS file_id,
    CASE WHEN jsonb_typeof(t.meta -> 'safety') = 'object' AND t.meta -> 'safety' <> '{}' THEN export_js_json(t.meta -> 'safety') END AS file_safety,
    CASE WHEN fm.m = '{}' THEN '{}' ELSE export_js_json(fm.m) END AS file_meta,
    concat(',"source":"', t.source, '","meta":{', ma.a[1], CASE WHEN ma.a[1] <> '' THEN ',' END, '"export":{"taskId":', to_json(t.id),
      ',"projectId":', to_json(t."projectId"), ',"source":"', t.source, '","models":{', rs.models, '}') AS meta_head,
    concat(CASE WHEN ma.a[2] <> '' THEN ',' END, ma.a[2], '}') AS meta_tail
  FROM (SELECT CASE WHEN jsonb_typeof(t.meta) = 'object' THEN t.meta - 'id' - 'safety' ELSE '{}' END AS m) fm
  CROSS JOIN LATERAL (SELECT CASE WHEN fm.m = '{}' THEN ARRAY['', ''] ELSE export_js_members_around(fm.m, 'export') END AS a) ma
  CROSS JOIN LATERAL (
    SELECT string_agg(concat(x.id_json, ':', COALESCE(to_json(x.model)::text, 'null')), ',' ORDER BY x.index) AS models,
      array_agg(x.id ORDER BY x.index) AS resp_ids, array_agg(x.content_json ORDER BY x.index) AS resp_json,
      array_agg(substr(x.id_json, 2, length(x.id_json) - 2) ORDER BY x.index) AS resp_id_inner
    FROM (SELECT r.id, r.index, r.model, to_json(r.id)::text AS id_json, to_json(r.content)::text AS content_json FROM response r WHERE r."taskId" = t.id) x) rs
  OFFSET 0) tp
CROSS JOIN LATERAL (
  SELECT n.id, n.origin, n."promptPolicy", n.rubric, substr(to_json(n.id)::text, 2, length(to_json(n.id)::text) - 2) AS id_inner,
    CASE WHEN n."promptPolicy" IS NOT NULL THEN concat(',"safety":{"promptPolicy":"', n."promptPolicy", '","harmCategory":', COALESCE(to_json(n."harmCategory")::text, 'null')) END AS safety_head,
    -- A file's id names the record only when the judgement gave one pair.
    CASE WHEN tp.file_id IS NOT NULL THEN (SELECT count(*) FROM preference_pair x WHERE x."annotationId" = n.id) END AS pair_count,
    -- From the source on: the file's meta for a judgement from a file; up to the pair's chosenId otherwise.
    CASE WHEN n.origin = 'imported' THEN concat(',"source":"', tp.source, '","meta":', tp.file_meta, '}')
      ELSE concat(tp.meta_head, ',"annotationId":', to_json(n.id), ',"annotatorId":', COALESCE(to_json(n."annotatorId")::text, 'null'),
       ',"shownOrder":', to_json(n."shownOrder"), ',"timeSpentMs":', COALESCE(n."timeSpentMs"::text, 'null'),
       ',"guidelinesVersion":', COALESCE(n."guidelinesVersion"::text, 'null'), ',"reviewState":"', n."reviewState",
       '","createdAt":"', to_char(n."createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '","chosenId":"') END AS tail
  FROM annotation n WHERE n."taskId" = t.id AND ${annotations} ORDER BY n."createdAt", n.id OFFSET 0) n
CROSS JOIN LATERAL (
  SELECT pp.margin, pp.strength, array_position(tp.resp_ids, pp."chosenResponseId") AS ci, array_position(tp.resp_ids, pp."rejectedResponseId") AS ri
  FROM preference_pair pp WHERE pp."annotationId" = n.id ORDER BY pp."chosenRank", pp."rejectedRank", pp.id OFFSET 0) pp`;
}
