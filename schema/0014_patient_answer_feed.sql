-- The feed behind each server's cache of Patient answers (docs/internals.md "The Patient answer cache"):
-- a committed change to anything a GET Patient/{id} answer is made of sends that patient's id on the
-- channel nara_patient_changed, and every server listening forgets its answer for that patient.
--
-- What an answer is made of: the current version (resource_current, type Patient), the listing and
-- the fast läkarkontakt behind the derived generalPractitioner (registry_listing, registry_contact),
-- and the protection flag behind the protected-identity screen (registry_patient). NOTIFY is
-- transactional: sent at commit, never for a transaction that rolls back, and PostgreSQL sends one
-- notification per distinct id in a transaction.
--
-- A bulk load (nara import) turns the per-row notifications off for its transaction with
-- SET LOCAL nara.patient_feed = 'off' and sends one '*' (forget everything) instead: a million
-- notifications in one transaction would only fill the queue. The WHEN clause is evaluated in the
-- executor, so a row that sends nothing costs no function call.

CREATE FUNCTION nara_patient_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('nara_patient_changed', OLD.patient_id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('nara_patient_changed', NEW.patient_id);
  END IF;
  RETURN NULL;
END $$;

-- resource_current holds every type: its triggers test the type in WHEN, so a write of another type
-- calls no function (INSERT/UPDATE and DELETE apart, as only they can name NEW and OLD).
CREATE FUNCTION nara_patient_resource_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('nara_patient_changed', CASE TG_OP WHEN 'DELETE' THEN OLD.res_id ELSE NEW.res_id END);
  RETURN NULL;
END $$;

CREATE TRIGGER patient_feed AFTER INSERT OR UPDATE OR DELETE ON registry_listing FOR EACH ROW
  WHEN (current_setting('nara.patient_feed', true) IS DISTINCT FROM 'off') EXECUTE FUNCTION nara_patient_changed();
CREATE TRIGGER patient_feed AFTER INSERT OR UPDATE OR DELETE ON registry_contact FOR EACH ROW
  WHEN (current_setting('nara.patient_feed', true) IS DISTINCT FROM 'off') EXECUTE FUNCTION nara_patient_changed();
CREATE TRIGGER patient_feed AFTER INSERT OR UPDATE OR DELETE ON registry_patient FOR EACH ROW
  WHEN (current_setting('nara.patient_feed', true) IS DISTINCT FROM 'off') EXECUTE FUNCTION nara_patient_changed();
CREATE TRIGGER patient_feed AFTER INSERT OR UPDATE ON resource_current FOR EACH ROW
  WHEN (NEW.res_type = 'Patient' AND current_setting('nara.patient_feed', true) IS DISTINCT FROM 'off')
  EXECUTE FUNCTION nara_patient_resource_changed();
CREATE TRIGGER patient_feed_delete AFTER DELETE ON resource_current FOR EACH ROW
  WHEN (OLD.res_type = 'Patient' AND current_setting('nara.patient_feed', true) IS DISTINCT FROM 'off')
  EXECUTE FUNCTION nara_patient_resource_changed();
