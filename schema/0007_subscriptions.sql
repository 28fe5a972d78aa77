-- Change notifications (FHIR Subscriptions, R5 Backport IG on R4; docs/api.md section 10).
--
-- subscription_outbox: one row per resource version, written by the write's own transaction just
-- before it commits (pg/pg_store.cpp, PgStore::Transact): no event without its change, none lost on
-- a crash. Its position comes from a sequence drawn after every row lock of the write is held, so a
-- write that waited for another's lock always gets a later position than the one it waited for:
-- position order agrees with commit order for every two writes that touched the same row (the only
-- order a reader can observe); independent writes commute.
--
-- subscription_event: the outbox numbered per subscription by one dispatcher at a time (the row
-- lock on subscription_dispatch), which takes visible outbox rows in position order, numbers the
-- events of each matching subscription (subscription.events_since_start + 1 …) and deletes the
-- outbox rows, all in one transaction: numbers are 1, 2, 3 … without gap or repeat, and a crash
-- rolls the whole step back. Events stay for `$events` catch-up.
CREATE TABLE subscription_outbox (
  position  bigserial PRIMARY KEY,
  res_type  text      NOT NULL,
  res_id    text      NOT NULL,
  version   integer   NOT NULL
);

CREATE TABLE subscription (
  id                 text        PRIMARY KEY,
  owner_hsa_id       text        NOT NULL,                 -- the caller who created it; events are what it may read
  topic              text        NOT NULL,                 -- canonical URL of the topic
  filters            text        NOT NULL DEFAULT '',     -- backport-filter-criteria, normalised (name=value&…)
  payload            text        NOT NULL CHECK (payload IN ('empty', 'id-only', 'full-resource')),
  endpoint           text        NOT NULL,
  heartbeat_seconds  integer     NOT NULL DEFAULT 0,      -- 0: no heartbeat
  timeout_seconds    integer     NOT NULL DEFAULT 10,
  max_count          integer     NOT NULL DEFAULT 20,     -- events per notification bundle
  status             text        NOT NULL CHECK (status IN ('requested', 'active', 'error', 'off')),
  error              text        NOT NULL DEFAULT '',
  body               text        NOT NULL,                 -- the Subscription as the client sent it (normalised)
  created            timestamptz NOT NULL DEFAULT now(),
  events_since_start bigint      NOT NULL DEFAULT 0,       -- the last number given to an event
  delivered_through  bigint      NOT NULL DEFAULT 0,       -- every event up to here was acknowledged (2xx)
  attempts           integer     NOT NULL DEFAULT 0,       -- failed attempts in a row
  next_attempt       timestamptz NOT NULL DEFAULT now(),   -- backoff: no attempt before
  last_sent          timestamptz,                          -- for the heartbeat
  lease_node         text        NOT NULL DEFAULT '',      -- the node delivering it (several nodes, one database)
  lease_until        timestamptz NOT NULL DEFAULT '-infinity'
);
CREATE INDEX subscription_owner ON subscription (owner_hsa_id);

CREATE TABLE subscription_event (
  subscription_id text        NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
  number          bigint      NOT NULL,
  topic           text        NOT NULL,
  res_type        text        NOT NULL,
  res_id          text        NOT NULL,
  version         integer     NOT NULL,
  recorded        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription_id, number)
);

-- One row: holding it FOR UPDATE makes a node the dispatcher for one step.
CREATE TABLE subscription_dispatch (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  dispatched bigint  NOT NULL DEFAULT 0   -- outbox rows numbered so far (for /metrics and tests)
);
INSERT INTO subscription_dispatch DEFAULT VALUES;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nara_server') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON subscription_outbox, subscription, subscription_event,
      subscription_dispatch TO nara_server;
    GRANT USAGE, SELECT ON SEQUENCE subscription_outbox_position_seq TO nara_server;
  END IF;
END
$$;
