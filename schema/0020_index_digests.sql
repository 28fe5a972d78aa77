-- What the current version's search-index rows were written from (issue 15, bench/RESULTS.md
-- thirteenth round): for each of search_token, search_text, search_reference and search_period, in
-- that order, a digest of the values its rows hold ('' when it holds none), written with the version
-- and its rows by the write statements and the import (pg/internal/index_values.h). A next version
-- then rewrites only the tables whose digest changes: a finished episode touches its status token and
-- its period, not its references. NULL: not recorded (a row from before this column), so every table
-- is looked at. Anything else that changes a resource's index rows (a migration, a repair by hand)
-- must set it to NULL.
ALTER TABLE resource_current ADD COLUMN index_digests text[];
