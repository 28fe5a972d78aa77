-- Every version of every resource, exactly as the server wrote it. Never updated in place:
-- a change is a new row, a delete is a tombstone row (deleted, no body). seq orders the change feed.
CREATE TABLE resource_version (
  res_type     text        NOT NULL,
  res_id       text        NOT NULL,
  version      integer     NOT NULL CHECK (version > 0),
  last_updated timestamptz NOT NULL,
  deleted      boolean     NOT NULL DEFAULT false,
  body         text,
  seq          bigserial   NOT NULL UNIQUE,
  PRIMARY KEY (res_type, res_id, version),
  CHECK (deleted OR body IS NOT NULL)
);
CREATE INDEX resource_version_type_updated ON resource_version (res_type, last_updated);
CREATE INDEX resource_version_updated ON resource_version (last_updated);

-- The current version of each resource: the row locked by writers (optimistic locking, If-Match).
CREATE TABLE resource_current (
  res_type     text        NOT NULL,
  res_id       text        NOT NULL,
  version      integer     NOT NULL,
  last_updated timestamptz NOT NULL,
  deleted      boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (res_type, res_id)
);
CREATE INDEX resource_current_type_updated ON resource_current (res_type, last_updated, res_id) WHERE NOT deleted;

-- Search indexes of live current versions, rewritten on every write of the resource.
CREATE TABLE search_token (
  res_type text NOT NULL,
  res_id   text NOT NULL,
  param    text NOT NULL,
  system   text NOT NULL DEFAULT '',
  code     text NOT NULL
);
CREATE INDEX search_token_lookup ON search_token (res_type, param, code, system);
CREATE INDEX search_token_owner ON search_token (res_type, res_id);

CREATE TABLE search_text (
  res_type   text NOT NULL,
  res_id     text NOT NULL,
  param      text NOT NULL,
  value      text NOT NULL,
  normalized text NOT NULL
);
CREATE INDEX search_text_lookup ON search_text (res_type, param, normalized text_pattern_ops);
CREATE INDEX search_text_owner ON search_text (res_type, res_id);

CREATE TABLE search_reference (
  res_type    text NOT NULL,
  res_id      text NOT NULL,
  param       text NOT NULL,
  target_type text NOT NULL,
  target_id   text NOT NULL
);
CREATE INDEX search_reference_lookup ON search_reference (res_type, param, target_id);
CREATE INDEX search_reference_owner ON search_reference (res_type, res_id);

-- Identifiers that belong to at most one live resource (personnummer, samordningsnummer):
-- the primary key makes concurrent creates of one person race-free (docs/api.md section 2).
CREATE TABLE unique_identifier (
  system   text NOT NULL,
  value    text NOT NULL,
  res_type text NOT NULL,
  res_id   text NOT NULL,
  PRIMARY KEY (system, value)
);
CREATE INDEX unique_identifier_owner ON unique_identifier (res_type, res_id);
