-- An HSA-id names one object of the directory (docs/api.md section 2): from this version on, a live
-- Organization or Practitioner claims its HSA-id in unique_identifier as a Patient claims its
-- personnummer, so a second unit or person with the same HSA-id is refused (409, naming the holder)
-- instead of making every later conditional create by that HSA-id ambiguous (412).
--
-- Here the ones already stored claim theirs: a live resource's HSA-ids without period.end (the stored
-- bodies carry the canonical system; aliases were rewritten when written). Where two already share
-- one, the one created first keeps it (then the lower id). The other keeps its stored version; its next
-- write that names the HSA-id is refused until one of them gives it up or ends it (period.end), and
-- the NOTICE below names how many such HSA-ids there are.
CREATE TEMP TABLE held_hsa ON COMMIT DROP AS
SELECT i ->> 'value' AS value, c.res_type, c.res_id,
       (SELECT f.last_updated FROM resource_version f
        WHERE f.res_type = c.res_type AND f.res_id = c.res_id AND f.version = 1) AS created
FROM resource_current c
JOIN resource_version v USING (res_type, res_id, version)
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(v.body::jsonb -> 'identifier') = 'array' THEN v.body::jsonb -> 'identifier'
         ELSE '[]'::jsonb END) AS i
WHERE c.res_type IN ('Organization', 'Practitioner') AND NOT c.deleted
  AND i ->> 'system' = 'urn:oid:1.2.752.29.4.19' AND coalesce(i ->> 'value', '') <> ''
  AND NOT coalesce(jsonb_typeof(i -> 'period') = 'object' AND (i -> 'period') ? 'end', false);

INSERT INTO unique_identifier (system, value, res_type, res_id)
SELECT DISTINCT ON (value) 'urn:oid:1.2.752.29.4.19', value, res_type, res_id
FROM held_hsa
ORDER BY value, created, res_id
ON CONFLICT DO NOTHING;

DO $$
DECLARE
  shared bigint;
BEGIN
  SELECT count(*) INTO shared FROM (
    SELECT value FROM held_hsa GROUP BY value HAVING count(DISTINCT (res_type, res_id)) > 1) s;
  IF shared > 0 THEN
    RAISE NOTICE '% HSA-id(s) held by more than one Organization or Practitioner: the first created keeps each; '
                 'the others must give it up before their next write (SELECT value, res_type, res_id FROM '
                 'unique_identifier WHERE system = ''urn:oid:1.2.752.29.4.19'')', shared;
  END IF;
END $$;
