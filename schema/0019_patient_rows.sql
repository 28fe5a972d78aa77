-- A patient's registry rows in one shape, and the patient's lock with those rows in one round trip
-- (issue 15; PgRegistry::LockPatient, KnownPatientRows, ReadPatientWithRows and Prefetch in
-- pg/internal/pg_registry.cpp read them; docs/internals.md "What a write costs the database").
--
-- registry_patient_rows: the listings, residencies and home-care episodes (kind as stored), the
-- contacts ('contact') and, with with_waiting, the requested waiting-list entries ('waiting') of the
-- given patients, padded to one shape. Dates are days since 1970-01-01 (registry/date.h's unit, as
-- every registry query of the server sends them). A waiting entry's place in line (RFC 3339, UTC,
-- milliseconds) goes where a contact's managing unit goes, its output CareTeam where the begin
-- reason goes. A single SELECT in SQL, STABLE and not STRICT, so the planner inlines it into the
-- query that calls it: the same plan as the query written out.
CREATE FUNCTION registry_patient_rows(patients text[], with_waiting boolean)
RETURNS TABLE (kind text, id text, patient_id text, unit_or_role text, status text, from_day int, to_day int,
               role_code smallint, managing_unit text, begin_reason text, end_reason text, sip_day int)
LANGUAGE sql STABLE AS $$
  SELECT l.kind, l.episode_id, l.patient_id, l.unit_id, l.status, l.valid_from - DATE '1970-01-01',
         l.valid_to - DATE '1970-01-01', NULL::smallint, ''::text, ''::text, ''::text, l.sip_date - DATE '1970-01-01'
    FROM registry_listing l WHERE l.patient_id = ANY (patients)
  UNION ALL
  SELECT 'contact', c.careteam_id, c.patient_id, c.practitioner_role_id, c.status, c.valid_from - DATE '1970-01-01',
         c.valid_to - DATE '1970-01-01', c.role_code, c.managing_unit_id, c.begin_reason, c.end_reason, NULL::int
    FROM registry_contact c WHERE c.patient_id = ANY (patients)
  UNION ALL
  SELECT 'waiting', w.task_id, w.patient_id, w.role_id, w.status, NULL::int, NULL::int, NULL::smallint,
         to_char(w.authored_on AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), w.output_careteam_id, ''::text,
         NULL::int
    FROM registry_waitlist w WHERE with_waiting AND w.status = 'requested' AND w.patient_id = ANY (patients)
$$;

-- registry_lock_patient: the patient's row locked FOR UPDATE (every listing, residency, contact and
-- waiting-list change of the patient takes this lock first: registry/registry_store.h), then its
-- rows with its requested entries. Those are read by a statement of their own: a VOLATILE function's
-- statements each take a fresh snapshot under READ COMMITTED, so when the lock had to wait, the rows
-- include what its previous holder committed. (Read in the locking statement itself they would come
-- from that statement's snapshot, taken before the wait: a change of listing would miss the listing
-- made by the change before it.) The first row is the patient's own (kind 'patient'), its columns in
-- the five after the rows' shape; no row at all: no such patient.
CREATE FUNCTION registry_lock_patient(patient text)
RETURNS TABLE (kind text, id text, patient_id text, unit_or_role text, status text, from_day int, to_day int,
               role_code smallint, managing_unit text, begin_reason text, end_reason text, sip_day int,
               deceased_day int, birth_day int, gender text, kommun text, protected boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  locked registry_patient;
BEGIN
  SELECT * INTO locked FROM registry_patient p WHERE p.patient_id = patient FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  kind := 'patient';
  id := locked.patient_id;
  patient_id := locked.patient_id;
  deceased_day := locked.deceased - DATE '1970-01-01';
  birth_day := locked.birth_date - DATE '1970-01-01';
  gender := locked.gender;
  kommun := locked.kommun;
  protected := locked.protected;
  RETURN NEXT;
  RETURN QUERY SELECT r.*, NULL::int, NULL::int, NULL::text, NULL::text, NULL::boolean
                 FROM registry_patient_rows(ARRAY[patient], true) r;
END
$$;
