-- Protected identity (sekretessmarkering, skyddad folkbokföring; docs/api.md section 8).
--
-- registry_patient.protected: the Patient's meta.security holds v3-Confidentiality#R. The read paths
-- ask it for every patient whose data they are about to release, so it lives in the row they
-- already read (no JSON parsing per request). Kept by PutPatient and the import like the other columns.
ALTER TABLE registry_patient ADD COLUMN protected boolean NOT NULL DEFAULT false;

-- Patients stored before this migration keep whatever mark their current version carries.
UPDATE registry_patient p SET protected = true
  FROM resource_current c JOIN resource_version v USING (res_type, res_id, version)
 WHERE c.res_type = 'Patient' AND c.res_id = p.patient_id AND NOT c.deleted
   AND v.body::jsonb @> '{"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}}';

-- The read paths' question "which of these patients are protected" (ProtectedAmong) touches only these.
CREATE INDEX registry_patient_protected ON registry_patient (patient_id) WHERE protected;

-- An export kicked off by a caller who may not see where protected patients are cared for
-- (anyone but admin): the worker redacts their Patients and leaves out the rest of their data.
ALTER TABLE export_job ADD COLUMN withhold_protected boolean NOT NULL DEFAULT false;
