-- Search values kept on the current row (issue 15, bench/RESULTS.md fifteenth round): a type's one
-- status token and its one period (pg/internal/row_values.h names them: EpisodeOfCare's and CareTeam's
-- `status` and `date`) are columns of its current row instead of rows of search_token and search_period.
-- A change of listing finishes an episode and ends a care team: their status and period are what
-- changes, and as rows every such version deleted and wrote two rows with their index entries; as
-- columns they ride on the current row's update, which every version makes anyway.
--
-- row_values_version: the version these columns describe. A writer of the release before them (a
-- rolling upgrade, or rows written before it) leaves it behind and writes the values as index rows, so a
-- search reads the columns only where it equals the current version and the index rows otherwise
-- (pg/internal/search_sql.cpp). `nara reindex` moves the rest over. Nullable, no default: instant.
-- index_digests (0020) gets a fifth element from this release on, a digest of these values
-- (pg/internal/index_values.h); four elements are a release before's, and are not trusted.
ALTER TABLE resource_current
  ADD COLUMN row_token_system text,    -- the status token's system ('' for none)
  ADD COLUMN row_token_code text,      -- its code; NULL: the resource has no status
  ADD COLUMN row_period tstzrange,     -- the period as search_period holds it; NULL: none
  ADD COLUMN row_values_version integer;
