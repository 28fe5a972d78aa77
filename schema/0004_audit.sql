-- The audit log (Patientdatalagen 4 kap. 3 §, HSLF-FS 2016:40 4 kap. 9–10 §; docs/api.md section 6):
-- one row per request that reads or writes patient data, refused requests included — who (HSA-id,
-- role, name, the units the caller acts for), what (interaction, resource ids, patient ids), on behalf
-- of which unit, when, outcome and the request id that ties the row to the server's log line.
-- A write appends its row in the write's own transaction (registry/audit.h, pg/pg_audit.*),
-- so a committed change is never missing from the log and a rolled-back one is not in it.
--
-- patient_ids are Patient resource ids, never a personnummer: the log extract for a person
-- (`nara audit-extract`) first resolves the personnummer to the Patient id(s). detail is free text
-- for the administrator, also without a personnummer (the adapter masks any that slip in).

CREATE TABLE audit_event (
  id                  bigserial   PRIMARY KEY,
  recorded            timestamptz NOT NULL DEFAULT clock_timestamp(),  -- the row's own instant, not the transaction's start
  request_id          text        NOT NULL DEFAULT '',
  agent_hsa_id        text        NOT NULL DEFAULT '',  -- '' only when the caller could not be identified
  agent_role          text        NOT NULL DEFAULT '',  -- access.json role: ehr | municipality | … | admin
  agent_name          text        NOT NULL DEFAULT '',
  agent_organizations text[]      NOT NULL DEFAULT '{}',
  action              text        NOT NULL CHECK (action IN ('read', 'vread', 'search', 'create', 'update', 'delete',
                                                             'history', 'operation')),
  resource_type       text        NOT NULL DEFAULT '',
  resource_ids        text[]      NOT NULL DEFAULT '{}',
  patient_ids         text[]      NOT NULL DEFAULT '{}',
  unit                text        NOT NULL DEFAULT '',  -- the unit the access is made on behalf of; may be ''
  outcome             text        NOT NULL CHECK (outcome IN ('success', 'refused', 'failed')),
  http_status         integer     NOT NULL DEFAULT 0,
  detail              text        NOT NULL DEFAULT ''
);
-- The three questions asked of the log: everything about one patient (the log extract), everything
-- one person did, and everything in a time window; each newest first.
CREATE INDEX audit_event_patient ON audit_event USING gin (patient_ids);
CREATE INDEX audit_event_agent ON audit_event (agent_hsa_id, recorded);
CREATE INDEX audit_event_recorded ON audit_event (recorded);

-- History is not changed by accident, not even by the table's owner: UPDATE, DELETE and TRUNCATE
-- raise. This is a guard rail, not the control: a DBA (the owner or a superuser) can still disable or
-- drop these triggers, e.g. to purge rows past their retention period in a documented maintenance step.
-- The control is the grant below: the server's role has no UPDATE, DELETE or TRUNCATE on the table.
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % is not allowed (Patientdatalagen 4 kap. 3 §)', TG_OP
    USING ERRCODE = 'restrict_violation',
          HINT = 'A DBA purging by retention policy disables trigger audit_event_append_only_* for that step.';
END
$$;
CREATE TRIGGER audit_event_append_only_row BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_append_only_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();

-- The server's database role. The server connects as any login role that may SET ROLE nara_server
-- (database.role) and then works with this role's privileges only: full DML on the registry's tables,
-- INSERT and SELECT on the audit log (append-only by grant), read-only on schema_migration.
--
-- Roles are cluster-wide while migrations run per database, and several databases of one cluster may
-- migrate at the same time (the migration lock is per database): a concurrent CREATE ROLE of the same
-- name fails with unique_violation (or duplicate_object once committed), and either means it exists.
-- A migrating role without CREATEROLE needs a DBA to have run `CREATE ROLE nara_server NOLOGIN` first.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nara_server') THEN
    BEGIN
      CREATE ROLE nara_server NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'role nara_server does not exist and % may not create it', current_user
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'A DBA runs: CREATE ROLE nara_server NOLOGIN; GRANT nara_server TO <server login role>;';
    END;
  END IF;
  -- A migrating role that is also the server's login role (a one-role installation) must be allowed to
  -- SET ROLE nara_server. Superusers may anyway; otherwise best effort: a DBA can grant it instead.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT pg_has_role(current_user, 'nara_server', 'MEMBER') THEN
    BEGIN
      EXECUTE format('GRANT nara_server TO %I', current_user);
    EXCEPTION
      WHEN insufficient_privilege OR unique_violation OR duplicate_object OR invalid_grant_operation THEN NULL;
    END;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO nara_server;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO nara_server;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO nara_server;
-- Tables and sequences that later migrations create (as the role migrating now) get the same.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO nara_server;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO nara_server;

-- Append-only by grant: the server may add to the log and read it, never change or remove a row.
-- (USAGE on audit_event_id_seq allows nextval for new rows; setval would need UPDATE, not granted.)
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM nara_server;
-- The server reads which migrations are applied (/readyz); applying them is `nara migrate`'s job.
DO $$
BEGIN
  IF to_regclass('schema_migration') IS NOT NULL THEN
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migration FROM nara_server;
  END IF;
END
$$;
