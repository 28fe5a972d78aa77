-- The audit log, partitioned by month (docs/internals.md "The audit log").
--
-- Every read writes a row, so audit_event is the largest table by far (docs/deployment.md: ~426 bytes
-- a row). By month: each month's indexes stay the size of one month, so an insert touches small
-- B-tree and GIN indexes; a query for a time window reads only its months; and a retention step
-- detaches or drops a whole month instead of deleting rows from a table that forbids it.
--
-- Same columns, defaults, checks, grants and append-only triggers as 0004_audit.sql. The primary key
-- must contain the partition key: (recorded, id), which also answers "a time window, newest first".
-- The rows already logged move over with their ids (the sequence stays the same one).
--
-- A month's partition must exist before its first row arrives, or the insert fails (and the request
-- is answered 503: nothing leaves unlogged). There is no DEFAULT partition on purpose: rows in it
-- would block creating their month later. audit_event_ensure_partitions creates the months from
-- the oldest row (or this month) to `ahead` months after now; the server calls it when it starts and
-- whenever the month 35 days from now has no partition yet (pg/internal/audit_writer.cpp), and it
-- runs with its owner's rights, because the server's role may not create tables.

ALTER TABLE audit_event RENAME TO audit_event_unpartitioned;
ALTER INDEX audit_event_pkey RENAME TO audit_event_unpartitioned_pkey;
ALTER INDEX audit_event_patient RENAME TO audit_event_unpartitioned_patient;
ALTER INDEX audit_event_agent RENAME TO audit_event_unpartitioned_agent;
ALTER INDEX audit_event_recorded RENAME TO audit_event_unpartitioned_recorded;

CREATE TABLE audit_event (
  id                  bigint      NOT NULL DEFAULT nextval('audit_event_id_seq'),
  recorded            timestamptz NOT NULL DEFAULT clock_timestamp(),  -- the row's own instant, not the transaction's start
  request_id          text        NOT NULL DEFAULT '',
  agent_hsa_id        text        NOT NULL DEFAULT '',
  agent_role          text        NOT NULL DEFAULT '',
  agent_name          text        NOT NULL DEFAULT '',
  agent_organizations text[]      NOT NULL DEFAULT '{}',
  action              text        NOT NULL CHECK (action IN ('read', 'vread', 'search', 'create', 'update', 'delete',
                                                             'history', 'operation')),
  resource_type       text        NOT NULL DEFAULT '',
  resource_ids        text[]      NOT NULL DEFAULT '{}',
  patient_ids         text[]      NOT NULL DEFAULT '{}',
  unit                text        NOT NULL DEFAULT '',
  outcome             text        NOT NULL CHECK (outcome IN ('success', 'refused', 'failed')),
  http_status         integer     NOT NULL DEFAULT 0,
  detail              text        NOT NULL DEFAULT '',
  PRIMARY KEY (recorded, id)
) PARTITION BY RANGE (recorded);
ALTER SEQUENCE audit_event_id_seq OWNED BY audit_event.id;
-- The questions asked of the log (0004_audit.sql): one patient's accesses, one person's, a time window
-- (the primary key).
CREATE INDEX audit_event_patient ON audit_event USING gin (patient_ids);
CREATE INDEX audit_event_agent ON audit_event (agent_hsa_id, recorded);

-- Creates the missing monthly partitions audit_event_yYYYYmMM from the month of `since` through
-- `ahead` months after now; returns how many it created. Idempotent, and safe when two servers call
-- it at once (the advisory lock serialises them).
CREATE FUNCTION audit_event_ensure_partitions(ahead integer DEFAULT 3, since timestamptz DEFAULT now())
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
      created := created + 1;
    END IF;
    month := (month + interval '1 month')::date;
  END LOOP;
  RETURN created;
END
$$;
REVOKE ALL ON FUNCTION audit_event_ensure_partitions(integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_event_ensure_partitions(integer, timestamptz) TO nara_server;

-- The months of the rows already logged (every month since the oldest one), then the rows
-- themselves, ids and instants unchanged.
SELECT audit_event_ensure_partitions(3, (SELECT min(recorded) FROM audit_event_unpartitioned));
INSERT INTO audit_event SELECT * FROM audit_event_unpartitioned;
DROP TABLE audit_event_unpartitioned;

-- Append-only, as before (0004_audit.sql): the row trigger is cloned onto every partition, present
-- and future; TRUNCATE of the log raises too.
CREATE TRIGGER audit_event_append_only_row BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_append_only_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();

-- The grants of 0004_audit.sql: the server may add and read, never change or remove. Partitions are
-- reached through the parent only (the server never names one), so they need no grants of their own.
GRANT SELECT, INSERT ON audit_event TO nara_server;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM nara_server;
