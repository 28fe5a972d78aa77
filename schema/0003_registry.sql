-- The registry's typed tables (registry/facts.h, pg/internal/pg_registry.*): what the rules and the
-- reports query directly. One row per resource id, upserted on every write of that resource and
-- deleted with it; the exact FHIR JSON of every version stays in resource_version (0001).
--
-- Validity: each episode/contact keeps its dates as written (valid_from, valid_to: [from, to), NULL
-- = open) and a generated daterange `period` over them for "in force on date d" (period @> d).
-- The bounds are kept beside the range because an empty range ([d, d): a listing changed on the day
-- it began) loses its bounds in PostgreSQL, and the registry must still answer where it was.
--
-- No foreign keys between the tables: resources arrive in any order (transaction bundles, import)
-- and a deleted Patient keeps its history in resource_version. Concurrency for the rules comes from
-- row locks (SELECT ... FOR UPDATE on registry_patient / registry_role), not from constraints here.

CREATE TABLE registry_patient (
  patient_id text PRIMARY KEY,
  deceased   date,                     -- date of death; NULL = alive
  birth_date date,
  gender     text NOT NULL DEFAULT '', -- male | female | other | unknown | ''
  kommun     text NOT NULL DEFAULT ''  -- kommunkod of the current address
);
CREATE INDEX registry_patient_kommun ON registry_patient (kommun);

CREATE TABLE registry_unit (
  unit_id      text PRIMARY KEY,
  hsa_id       text NOT NULL DEFAULT '',
  name         text NOT NULL DEFAULT '',
  type         text NOT NULL CHECK (type IN ('region', 'vardcentral', 'kommun', 'saebo', 'hemsjukvard',
                                             'specialistmottagning', 'other')),
  part_of      text NOT NULL DEFAULT '',  -- Organization id; '' = none
  kommun       text NOT NULL DEFAULT '',
  serves_saebo text[] NOT NULL DEFAULT '{}',  -- vårdcentral: SÄBO Organization ids it serves
  active       boolean NOT NULL DEFAULT true
);
CREATE INDEX registry_unit_hsa_id ON registry_unit (hsa_id);
CREATE INDEX registry_unit_part_of ON registry_unit (part_of);
CREATE INDEX registry_unit_kommun_type ON registry_unit (kommun, type);
-- Rule 2: which vårdcentraler serve this SÄBO (serves_saebo @> ARRAY[saebo_id]).
CREATE INDEX registry_unit_serves_saebo ON registry_unit USING gin (serves_saebo);

CREATE TABLE registry_role (
  role_id         text PRIMARY KEY,
  practitioner_id text NOT NULL DEFAULT '',
  unit_id         text NOT NULL DEFAULT '',
  profession      text NOT NULL DEFAULT '',  -- NR/CodeSystem/profession: lakare, sjukskoterska, ...
  active          boolean NOT NULL DEFAULT true,
  fte             numeric(7, 6) NOT NULL DEFAULT 1 CHECK (fte > 0 AND fte <= 1),
  capacity        integer NOT NULL CHECK (capacity >= 0)  -- list-capacity
);
-- Rule 3 ("colleagues with free places") and reports per unit.
CREATE INDEX registry_role_unit ON registry_role (unit_id, profession) WHERE active;
CREATE INDEX registry_role_practitioner ON registry_role (practitioner_id);

-- EpisodeOfCare: kind 'listning' (at a vårdcentral) or 'saebo' (residency in a SÄBO unit). One table,
-- so an episode id is one row whatever its type, and its type may change with a new version.
CREATE TABLE registry_listing (
  episode_id text PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('listning', 'saebo')),
  patient_id text NOT NULL,
  unit_id    text NOT NULL DEFAULT '',
  status     text NOT NULL CHECK (status IN ('active', 'finished', 'cancelled', 'entered-in-error', 'other')),
  valid_from date NOT NULL,
  valid_to   date CHECK (valid_to IS NULL OR valid_to >= valid_from),  -- exclusive; NULL = open
  period     daterange NOT NULL GENERATED ALWAYS AS (daterange(valid_from, valid_to, '[)')) STORED
);
CREATE INDEX registry_listing_patient ON registry_listing (patient_id, kind);
-- Reports: listed at a unit on a date (unit_id = $u AND period @> $d), counts per unit and date.
CREATE INDEX registry_listing_unit ON registry_listing (unit_id, kind, valid_from) WHERE status = 'active';
CREATE INDEX registry_listing_period ON registry_listing USING gist (period) WHERE status = 'active';

-- CareTeam category fast-kontakt: one named fixed contact.
CREATE TABLE registry_contact (
  careteam_id          text PRIMARY KEY,
  patient_id           text NOT NULL,
  role_code            smallint NOT NULL CHECK (role_code BETWEEN 1 AND 4),  -- urn:oid:1.2.752.129.5.1.69
  practitioner_role_id text NOT NULL DEFAULT '',
  managing_unit_id     text NOT NULL DEFAULT '',
  status               text NOT NULL CHECK (status IN ('active', 'inactive', 'entered-in-error', 'other')),
  valid_from           date NOT NULL,
  valid_to             date CHECK (valid_to IS NULL OR valid_to >= valid_from),  -- exclusive; NULL = open
  period               daterange NOT NULL GENERATED ALWAYS AS (daterange(valid_from, valid_to, '[)')) STORED,
  begin_reason         text NOT NULL DEFAULT '',
  end_reason           text NOT NULL DEFAULT ''
);
CREATE INDEX registry_contact_patient ON registry_contact (patient_id);
-- Rule 3 capacity count: active fast läkarkontakt naming a role (then period @> $d on few rows).
CREATE INDEX registry_contact_doctor ON registry_contact (practitioner_role_id) WHERE role_code = 2 AND status = 'active';
-- Rule 4 and reports per managing unit.
CREATE INDEX registry_contact_unit ON registry_contact (managing_unit_id, role_code) WHERE status = 'active';
CREATE INDEX registry_contact_period ON registry_contact USING gist (period) WHERE status = 'active';
