-- JSON text exactly as JavaScript's JSON.stringify writes a value read back with JSON.parse, for
-- the export formats that are built in the database (server/export/sql-pairs.ts). Numbers follow
-- ECMAScript's Number::toString (shortest digits that read back as the same double, exponent
-- outside 1e-7 .. 1e21), and object members follow JavaScript's property order (array-index keys
-- first, ascending, then the rest in the order jsonb stores them, which JSON.parse of jsonb's text
-- keeps). Strings are escaped by to_json, which escapes exactly what JSON.stringify escapes.

CREATE OR REPLACE FUNCTION export_js_float8(x double precision) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  t text := x::text;
  neg boolean;
  digits text;
  k int;
  n int;
  v numeric;
  e10 int;
  lo numeric;
  hi numeric;
  c numeric;
BEGIN
  IF t IN ('NaN', 'Infinity', '-Infinity') THEN RETURN 'null'; END IF;
  IF t = '-0' THEN RETURN '0'; END IF;
  -- Between -1e15 and 1e15 (outside 1e-4 .. 1e15 only tiny values, which need no search) the
  -- shortest digits print in the same fixed notation both ways.
  IF strpos(t, 'e') = 0 THEN RETURN t; END IF;
  neg := left(t, 1) = '-';
  IF neg THEN t := substr(t, 2); END IF;
  digits := replace(split_part(t, 'e', 1), '.', '');
  n := split_part(t, 'e', 2)::int + 1;
  -- At 2^53 and above a shorter decimal can lie exactly on the rounding boundary: JavaScript takes
  -- it, the server's shortest-digits search does not. Look for it: the fewest digits that still
  -- read back as x, the nearer of the two candidates on a tie in length.
  IF abs(x) >= 9007199254740992 THEN
    v := (digits || repeat('0', greatest(n - length(digits), 0)))::numeric;
    IF length(digits) > n THEN v := v / 10 ^ (length(digits) - n); END IF;
    e10 := n - 1;
    FOR j IN 1 .. length(digits) - 1 LOOP
      lo := trunc(v, j - 1 - e10);
      hi := lo + 10::numeric ^ (e10 - j + 1);
      c := NULL;
      IF lo::double precision = abs(x) THEN c := lo; END IF;
      IF hi <= 1.7976931348623157081e308 AND hi::double precision = abs(x) AND (c IS NULL OR hi - v < v - lo) THEN c := hi; END IF;
      IF c IS NOT NULL THEN
        digits := rtrim(trunc(c / 10::numeric ^ (e10 - j + 1))::text, '0');
        n := length(trunc(c)::text);
        EXIT;
      END IF;
    END LOOP;
  END IF;
  k := length(digits);
  IF k <= n AND n <= 21 THEN
    t := digits || repeat('0', n - k);
  ELSIF 0 < n AND n <= 21 THEN
    t := left(digits, n) || '.' || substr(digits, n + 1);
  ELSIF -6 < n AND n <= 0 THEN
    t := '0.' || repeat('0', -n) || digits;
  ELSE
    t := left(digits, 1) || CASE WHEN k > 1 THEN '.' || substr(digits, 2) ELSE '' END
      || 'e' || CASE WHEN n - 1 >= 0 THEN '+' ELSE '-' END || abs(n - 1)::text;
  END IF;
  RETURN CASE WHEN neg THEN '-' || t ELSE t END;
END $$;

CREATE OR REPLACE FUNCTION export_js_number(x numeric) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  RETURN export_js_float8(x::double precision);
EXCEPTION WHEN numeric_value_out_of_range THEN
  RETURN CASE WHEN abs(x) < 1 THEN '0' ELSE 'null' END;
END $$;

CREATE OR REPLACE FUNCTION export_js_json(j jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  CASE jsonb_typeof(j)
    WHEN 'object' THEN
      RETURN '{' || COALESCE((
        SELECT string_agg(to_json(e.key)::text || ':' || export_js_json(e.value), ',' ORDER BY e.ix IS NULL, e.ix, e.ord)
        FROM (SELECT key, value, ord, CASE WHEN key ~ '^(0|[1-9][0-9]{0,9})$' AND key::bigint < 4294967295 THEN key::bigint END AS ix
              FROM jsonb_each(j) WITH ORDINALITY AS x(key, value, ord)) e), '') || '}';
    WHEN 'array' THEN
      RETURN '[' || COALESCE((SELECT string_agg(export_js_json(value), ',' ORDER BY ord) FROM jsonb_array_elements(j) WITH ORDINALITY AS x(value, ord)), '') || ']';
    WHEN 'number' THEN
      RETURN export_js_number(j::numeric);
    ELSE
      RETURN j::text;
  END CASE;
END $$;

-- The members of a JSON object in JavaScript's order, split around one key that is left out:
-- [members before it, members after it], each "key":value joined by commas ('' when none).
CREATE OR REPLACE FUNCTION export_js_members_around(obj jsonb, around text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  WITH m AS (
    SELECT key, value, ord, CASE WHEN key ~ '^(0|[1-9][0-9]{0,9})$' AND key::bigint < 4294967295 THEN key::bigint END AS ix
    FROM jsonb_each(obj) WITH ORDINALITY AS x(key, value, ord)),
  ranked AS (SELECT *, row_number() OVER (ORDER BY ix IS NULL, ix, ord) AS pos FROM m),
  split AS (SELECT COALESCE((SELECT pos FROM ranked WHERE key = around), 2147483647) AS at)
  SELECT ARRAY[
    COALESCE((SELECT string_agg(to_json(key)::text || ':' || export_js_json(value), ',' ORDER BY pos) FROM ranked, split WHERE pos < at), ''),
    COALESCE((SELECT string_agg(to_json(key)::text || ':' || export_js_json(value), ',' ORDER BY pos) FROM ranked, split WHERE pos > at), '')]
$$;
