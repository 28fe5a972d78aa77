-- The audit row of a doctor's list page names every resource and patient on it (1100 of each for a
-- whole list): arrays beyond the TOAST threshold (2 kB) are compressed as they are stored, and pglz
-- was 8 % of the machine while serving whole lists (bench/RESULTS.md, figure 6). lz4 compresses such
-- text several times faster. Month partitions created later inherit the setting from audit_event;
-- the ones already there are set here. A PostgreSQL built without lz4 keeps pglz.
DO $$
DECLARE
  part regclass;
BEGIN
  ALTER TABLE audit_event ALTER COLUMN resource_ids SET COMPRESSION lz4,
                          ALTER COLUMN patient_ids SET COMPRESSION lz4;
  FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_event'::regclass LOOP
    EXECUTE format('ALTER TABLE %s ALTER COLUMN resource_ids SET COMPRESSION lz4, '
                   'ALTER COLUMN patient_ids SET COMPRESSION lz4', part);
  END LOOP;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available here: the audit arrays stay compressed with pglz';
END $$;
