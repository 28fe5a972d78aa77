-- Continuity of care (docs/api.md section 11): one row per Encounter, upserted on every write of it
-- and deleted with it (like the tables of 0003_registry.sql), so the continuity measures aggregate
-- visits in one pass without reading FHIR JSON. Only what the measures need: who, where, with whom,
-- how and when. No diagnosis or reason (the registry refuses them on the way in).
CREATE TABLE registry_visit (
  encounter_id         text PRIMARY KEY,
  patient_id           text NOT NULL,
  unit_id              text NOT NULL DEFAULT '',  -- serviceProvider Organization id
  practitioner_role_id text NOT NULL DEFAULT '',  -- the primary performer (participant type PPRF); '' = none named
  class                text NOT NULL CHECK (class IN ('AMB', 'VR', 'HH')),
  status               text NOT NULL,             -- Encounter.status; only 'finished' counts
  visit_date           date NOT NULL              -- the date part of period.start, as written
);
-- The measures: a patient's counted visits in a window before periodEnd.
CREATE INDEX registry_visit_patient ON registry_visit (patient_id, visit_date) WHERE status = 'finished';
CREATE INDEX registry_visit_date ON registry_visit (visit_date) WHERE status = 'finished';

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nara_server') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON registry_visit TO nara_server;
  END IF;
END
$$;
