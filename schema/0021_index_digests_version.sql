-- The version whose index rows index_digests (0020) describes. During a rolling upgrade a node of the
-- release before 0020 still writes next versions: it rewrites the index rows and bumps the version but
-- leaves index_digests as they were, describing an older version. A reader trusts the digests only
-- when this equals the current version (pg/pg_store.cpp); otherwise it looks at every table.
ALTER TABLE resource_current ADD COLUMN index_digests_version integer;
