-- The change feed (system and type history with _since or _cursor, docs/api.md section 1): every version
-- carries the id of the transaction that wrote it. A reader returns only versions of transactions
-- older than its snapshot's xmin (all of them finished), in (txid, seq) order, and continues after
-- the last one it returned: a transaction that commits after a later one is held back until it has
-- committed, so no change is missed and none is repeated, whatever order transactions commit in.
ALTER TABLE resource_version ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX resource_version_feed ON resource_version (txid, seq);
