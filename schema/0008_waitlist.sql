-- Waiting list for a full doctor (docs/api.md section 9; registry/waitlist.h, pg/internal/pg_registry.*):
-- one row per queue Task, upserted with every version the server writes and deleted with it. The
-- exact Task JSON stays in resource_version (0001) like every resource's.
CREATE TABLE registry_waitlist (
  task_id     text PRIMARY KEY,
  patient_id  text NOT NULL,
  role_id     text NOT NULL,  -- Task.focus: the PractitionerRole whose list the patient waits for
  status      text NOT NULL CHECK (status IN ('requested', 'completed', 'cancelled')),
  authored_on timestamptz NOT NULL,  -- the place in line
  output_careteam_id text NOT NULL DEFAULT ''  -- completed: the CareTeam the promotion created
);
-- A doctor's queue in order (promotion takes the first; $list-status counts it).
CREATE INDEX registry_waitlist_queue ON registry_waitlist (role_id, authored_on, task_id) WHERE status = 'requested';
-- One place in line per person at a time: the rule is checked under the patient lock, and this makes
-- a second requested entry impossible whatever path writes it.
CREATE UNIQUE INDEX registry_waitlist_one_per_patient ON registry_waitlist (patient_id) WHERE status = 'requested';
