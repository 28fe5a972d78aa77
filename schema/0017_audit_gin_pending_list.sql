-- The GIN index on patient_ids ("who read this patient") takes new entries into a pending list, and
-- the insert that fills the list merges it into the index while every read of its batch waits for
-- the commit. With the 4 MB default that merge was the tail of every read benchmark (a doctor's
-- whole list p99 77–656 ms, GET Patient up to 22 ms); with 1 MB the merges are smaller and more
-- often: whole list p99 43 ms, first page 9 ms, GET Patient 4–6 ms, throughput the same or better
-- (bench/RESULTS.md, fifth round). 256 kB gave no better tail. A partitioned index takes no storage
-- parameters, so each month's index is set: those there now here, later ones as they are made.

-- Sets the audit log's index parameters on one month's partition (its GIN indexes).
CREATE FUNCTION audit_event_tune_partition(part regclass) RETURNS void LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
  idx regclass;
BEGIN
  FOR idx IN SELECT ix.indexrelid::regclass FROM pg_index ix JOIN pg_class x ON x.oid = ix.indexrelid
             JOIN pg_am am ON am.oid = x.relam WHERE ix.indrelid = part AND am.amname = 'gin' LOOP
    EXECUTE format('ALTER INDEX %s SET (gin_pending_list_limit = 1024)', idx);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION audit_event_tune_partition(regclass) FROM PUBLIC;

-- As in 0012_audit_by_month.sql, and each month it makes is tuned.
CREATE OR REPLACE FUNCTION audit_event_ensure_partitions(ahead integer DEFAULT 3, since timestamptz DEFAULT now())
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  month date := date_trunc('month', least(coalesce(since, now()), now()))::date;
  last_month date := (date_trunc('month', now()) + make_interval(months => greatest(ahead, 0)))::date;
  name text;
  created integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('audit_event_ensure_partitions'));
  WHILE month <= last_month LOOP
    name := format('audit_event_y%sm%s', to_char(month, 'YYYY'), to_char(month, 'MM'));
    IF to_regclass(name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF audit_event FOR VALUES FROM (%L) TO (%L)', name,
                     month::timestamptz, (month + interval '1 month')::timestamptz);
      PERFORM audit_event_tune_partition(name::regclass);
      created := created + 1;
    END IF;
    month := (month + interval '1 month')::date;
  END LOOP;
  RETURN created;
END
$$;

SELECT audit_event_tune_partition(inhrelid::regclass) FROM pg_inherits WHERE inhparent = 'audit_event'::regclass;
