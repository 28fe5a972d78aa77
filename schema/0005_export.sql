-- FHIR Bulk Data $export jobs (docs/api.md section 5; registry/export_store.h, pg/pg_export.*).
-- A job is kicked off by one caller, run by the server's export worker in one database snapshot, and
-- its NDJSON files are written to the export folder (export.dir). Jobs live here, not in memory, so a
-- completed job's manifest and files survive a restart and a job that was running when its server died
-- is run again (attempts counts the runs; past the limit the job fails cleanly).
--
-- Which running job is orphaned: each server's worker holds a session advisory lock named by its
-- worker id for as long as it lives (pg/pg_export.cpp); a running job whose worker's lock can
-- be taken belongs to a dead server. So several servers may share one database: none ever takes over
-- a job that another live server is still running.
CREATE TABLE export_job (
  job_id           text        PRIMARY KEY,
  owner_hsa_id     text        NOT NULL,  -- only this caller may poll, download and cancel
  level            text        NOT NULL CHECK (level IN ('system', 'patient', 'group')),
  group_id         text        NOT NULL DEFAULT '',  -- level group: listed-<Organization id> | saebo-<Organization id>
  types            text[]      NOT NULL,             -- resource types, in export order
  since            timestamptz,                      -- _since: current versions with lastUpdated >= since
  request_url      text        NOT NULL,             -- the kick-off URL (manifest "request")
  status           text        NOT NULL DEFAULT 'queued'
                               CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  created          timestamptz NOT NULL DEFAULT now(),
  finished         timestamptz,                      -- completed, failed or cancelled at
  transaction_time timestamptz,                      -- the snapshot's instant (manifest "transactionTime")
  progress         text        NOT NULL DEFAULT '',  -- X-Progress while running
  error            text        NOT NULL DEFAULT '',  -- why a failed job failed (no patient data)
  attempts         integer     NOT NULL DEFAULT 0,
  worker           text        NOT NULL DEFAULT ''   -- the worker id of the server running it (status running)
);
-- The worker takes the oldest queued job; the limit counts queued and running jobs.
CREATE INDEX export_job_active ON export_job (status, created) WHERE status IN ('queued', 'running');
CREATE INDEX export_job_finished ON export_job (finished) WHERE finished IS NOT NULL;

-- The files of a completed job: one per resource type that had resources (empty types have none, as
-- Bulk Data 2.0 allows), named <Type>.ndjson in the job's folder.
CREATE TABLE export_file (
  job_id    text   NOT NULL REFERENCES export_job (job_id) ON DELETE CASCADE,
  file_name text   NOT NULL,
  res_type  text   NOT NULL,
  count     bigint NOT NULL CHECK (count >= 0),
  ord       integer NOT NULL,
  PRIMARY KEY (job_id, file_name)
);

-- The server's role (schema/0004_audit.sql) gets DML on new tables through the default privileges of
-- the migrating role; granted here too in case another role migrates.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nara_server') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON export_job, export_file TO nara_server;
  END IF;
END
$$;
