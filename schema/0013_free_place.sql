-- Freeing a place on a doctor's list without queueing behind the other freers (issue 15; docs/api.md
-- section 9; PgRegistry::LockRoleToFree, PromoteWaiting in fhir/resources/registry_writes.cpp).
--
-- Whoever takes a place, joins the waiting list or promotes from it locks the role row FOR UPDATE and
-- then counts, in a later statement. A transaction that has just ended a fast läkarkontakt (a place
-- may have freed) calls this instead: it locks the role row FOR SHARE, which waits for those FOR
-- UPDATE holders but not for other freers, and then, in a statement of its own (a VOLATILE
-- function's statements each take a fresh snapshot under READ COMMITTED), looks for a requested
-- entry. So of a freer F and a joiner J of the queue one always sees the other: J locked first, then F
-- waits for J's commit and finds J's entry; F locked first, then J waits for F's commit and counts
-- the freed place (and takes it instead of queueing).
--
-- Nobody waits (the usual case): false, and the FOR SHARE lock stays until commit (the block's
-- subtransaction is released into the transaction), keeping later joiners behind this commit.
-- Somebody waits: true, and the FOR SHARE lock is given back (the block is rolled back by its own
-- exception) before the caller takes FOR UPDATE to promote. Two freers that both hold FOR SHARE and
-- both asked for FOR UPDATE would deadlock; giving it back first means the second one merely waits.
-- A lock this transaction already held on the row (FOR UPDATE when it also took a place there, or
-- the UPDATE of a PractitionerRole write) is the parent's and stays.
-- No such role: false.
CREATE FUNCTION registry_lock_role_to_free(role text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  BEGIN
    PERFORM 1 FROM registry_role WHERE role_id = role FOR SHARE;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM registry_waitlist WHERE role_id = role AND status = 'requested') THEN
      RAISE EXCEPTION 'requested entries wait for %', role USING ERRCODE = 'NR001';
    END IF;
    RETURN false;
  EXCEPTION WHEN SQLSTATE 'NR001' THEN
    RETURN true;
  END;
END
$$;
