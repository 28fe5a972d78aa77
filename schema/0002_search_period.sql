-- Date search over periods (EpisodeOfCare.period, CareTeam.period, ...): what was in force on a date.
CREATE TABLE search_period (
  res_type text      NOT NULL,
  res_id   text      NOT NULL,
  param    text      NOT NULL,
  period   tstzrange NOT NULL
);
CREATE INDEX search_period_lookup ON search_period USING gist (period);
CREATE INDEX search_period_param ON search_period (res_type, param);
CREATE INDEX search_period_owner ON search_period (res_type, res_id);
