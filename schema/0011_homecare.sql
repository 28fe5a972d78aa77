-- Home health care (docs/api.md section 11): EpisodeOfCare type hemsjukvard, registered by the kommun
-- for its own hemsjukvård units like saebo, kept in registry_listing beside listings and residencies
-- (one row per episode id whatever its type, as 0003 explains).
-- sip_date: the date of the patient's SIP (samordnad individuell plan) as recorded on the hemsjukvård
-- episode (extension NR/StructureDefinition/sip); NULL = none recorded. hemsjukvard-sip-andel counts
-- an episode in force on D whose SIP is dated on or before D.
ALTER TABLE registry_listing DROP CONSTRAINT registry_listing_kind_check;
ALTER TABLE registry_listing ADD CONSTRAINT registry_listing_kind_check
  CHECK (kind IN ('listning', 'saebo', 'hemsjukvard'));
ALTER TABLE registry_listing ADD COLUMN sip_date date;
