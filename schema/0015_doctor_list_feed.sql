-- The feed (schema/0014_patient_answer_feed.sql) also names doctors' lists: each server keeps, per
-- PractitionerRole, the ids of the patients Patient?general-practitioner=PractitionerRole/{id} finds
-- (docs/internals.md "The Patient answer cache"), and forgets it when it hears 'PractitionerRole/{id}'.
--
-- Who is on a doctor's list changes when
--  - a fast läkarkontakt (registry_contact, role_code 2) of that role is added, changed or removed:
--    both the role it had and the role it has are named;
--  - a Patient with such a contact is created, deleted or restored: the list holds live Patients only.
-- A Patient's new version that stays live changes no list, and names only the patient, as before.

CREATE FUNCTION nara_contact_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('nara_patient_changed', OLD.patient_id);
    IF OLD.role_code = 2 AND OLD.practitioner_role_id <> '' THEN
      PERFORM pg_notify('nara_patient_changed', 'PractitionerRole/' || OLD.practitioner_role_id);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('nara_patient_changed', NEW.patient_id);
    IF NEW.role_code = 2 AND NEW.practitioner_role_id <> '' THEN
      PERFORM pg_notify('nara_patient_changed', 'PractitionerRole/' || NEW.practitioner_role_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER patient_feed ON registry_contact;
CREATE TRIGGER patient_feed AFTER INSERT OR UPDATE OR DELETE ON registry_contact FOR EACH ROW
  WHEN (current_setting('nara.patient_feed', true) IS DISTINCT FROM 'off') EXECUTE FUNCTION nara_contact_changed();

CREATE OR REPLACE FUNCTION nara_patient_resource_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  id text := CASE TG_OP WHEN 'DELETE' THEN OLD.res_id ELSE NEW.res_id END;
  comes_or_goes boolean := TG_OP <> 'UPDATE';
BEGIN
  PERFORM pg_notify('nara_patient_changed', id);
  IF TG_OP = 'UPDATE' THEN
    comes_or_goes := NEW.deleted IS DISTINCT FROM OLD.deleted;
  END IF;
  IF comes_or_goes THEN
    PERFORM pg_notify('nara_patient_changed', 'PractitionerRole/' || c.practitioner_role_id)
      FROM registry_contact c WHERE c.patient_id = id AND c.role_code = 2 AND c.practitioner_role_id <> '';
  END IF;
  RETURN NULL;
END $$;
