#!/usr/bin/env bash
# Figure 2 sized: how near pgbench TPC-B could a change of listing come under the "facts first" write
# model (docs/internals.md, "What would take the hot paths further"), before anyone builds it.
#   bench/change_listing_floor.sh [--people N] [--requests R] [--clients C]   default 20 000, 4 000, 16
#   bench/change_listing_floor.sh --smoke                                     1 000 people, 200, 3 s runs
# In one run on one cluster, C clients each:
#  1. Nära as it is: the changes of bench/change_listing.sh, with the CPU the server, curl and the whole
#     machine spend per change (/proc), so the part no storage model removes is measured, not guessed.
#  2. The floor: pgbench running only the statements a change needs when the registry's facts are what
#     is stored (lock the patient, read its listings and contacts, lock the old doctor's role, read the
#     new unit, finish the old listing, write the new one, end the fast läkarkontakt, one version row for
#     each of the three, the audit row, the Subscription outbox rows, commit) against the same tables,
#     triggers and indexes, with no FHIR JSON, no generic search rows, no HTTP and no TLS. Twice: a round
#     trip per statement, and all of them in one round trip (pipeline mode).
#  3. The anchor, pgbench TPC-B (scale 10).
# Printed last: the floor against TPC-B, and what a server on the floor would reach if it kept today's
# own CPU per change (server and client): two cores over (the floor's database CPU + that), per TPC-B.
source "$(dirname "$0")/common.sh"

usage="bench/change_listing_floor.sh [--people N] [--requests R] [--clients C] | --smoke"
bench_change_args "$usage" "$@"
((${#flags[@]} == 0)) || { echo "usage: $usage" >&2; exit 2; }

bench_start_cluster
bench_load_population registry "$people"
bench_serve registry
bench_header "2 sized, change of listing on the facts-first floor (people $people, $requests requests, $clients at a time)"

# 1. Nära as it is.
bench_measure_changes
nara_rate=$CHANGES_RATE nara_server_us=$CHANGES_SERVER_US nara_client_us=$CHANGES_CURL_US
nara_machine_us=$CHANGES_MACHINE_US nara_postgres_us=$CHANGES_POSTGRES_US

# The server stops before the floor runs: its feed would wake on the floor's notifications and count
# as database CPU. Its exit trap goes with it (a kill of a process already gone fails the script).
kill "$BENCH_SERVER_PID"
wait "$BENCH_SERVER_PID" 2>/dev/null || true
trap bench_cleanup EXIT

# 2. The floor. The moves: residents the changes above did not touch, each with its listing, its fast
# läkarkontakt (if any; else a contact id that matches nothing, as for a resident without one) and
# another vårdcentral of its region. A move drawn twice writes its rows again, which costs the same.
psql -X -q -v ON_ERROR_STOP=1 "$(bench_url registry)" >/dev/null <<'SQL'
CREATE TABLE floor_move AS SELECT row_number() OVER (ORDER BY m.patient_id)::int AS n, m.* FROM (
  SELECT l.patient_id, l.episode_id AS old_episode,
         coalesce((SELECT c.careteam_id FROM registry_contact c WHERE c.patient_id = l.patient_id AND c.role_code = 2
                   AND c.status = 'active' AND c.valid_to IS NULL LIMIT 1), '-') AS contact_id,
         coalesce((SELECT c.practitioner_role_id FROM registry_contact c WHERE c.patient_id = l.patient_id
                   AND c.role_code = 2 AND c.status = 'active' AND c.valid_to IS NULL LIMIT 1), '-') AS old_role,
         (SELECT v.unit_id FROM registry_unit v WHERE v.type = 'vardcentral' AND v.part_of = u.part_of
            AND v.unit_id <> l.unit_id ORDER BY v.unit_id LIMIT 1) AS new_unit
  FROM registry_listing l JOIN registry_unit u ON u.unit_id = l.unit_id
  WHERE l.kind = 'listning' AND l.status = 'active' AND l.valid_to IS NULL AND l.valid_from < current_date - 400) m
  WHERE m.new_unit IS NOT NULL;
ALTER TABLE floor_move ADD PRIMARY KEY (n);
CREATE SEQUENCE floor_id;
-- Each fact's versions, as resource_version keeps them today (same keys and indexes), the body being
-- the facts rather than the FHIR JSON.
CREATE TABLE floor_fact_version (LIKE resource_version INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
-- Today's storage of a version, as a template to copy: an episode and a fast läkarkontakt of the
-- population with their FHIR JSON and their generic search rows.
CREATE TABLE floor_template AS
  SELECT v.res_type, v.res_id, v.body FROM resource_current c
  JOIN resource_version v USING (res_type, res_id, version)
  WHERE (c.res_type, c.res_id) IN (SELECT 'EpisodeOfCare', min(episode_id) FROM registry_listing WHERE kind = 'listning'
                                   UNION ALL SELECT 'EpisodeOfCare', max(episode_id) FROM registry_listing WHERE kind = 'listning'
                                   UNION ALL SELECT 'CareTeam', min(careteam_id) FROM registry_contact WHERE role_code = 2);
-- Their search rows, apart: copied from small tables, the writes read nothing that grows as they run.
CREATE TABLE floor_template_token AS SELECT s.* FROM search_token s JOIN floor_template t USING (res_type, res_id);
CREATE TABLE floor_template_text AS SELECT s.* FROM search_text s JOIN floor_template t USING (res_type, res_id);
CREATE TABLE floor_template_reference AS SELECT s.* FROM search_reference s JOIN floor_template t USING (res_type, res_id);
CREATE TABLE floor_template_period AS SELECT s.* FROM search_period s JOIN floor_template t USING (res_type, res_id);
ANALYZE floor_move;
SQL
moves=$(psql -X -At "$(bench_url registry)" -c "SELECT count(*) FROM floor_move")

# The statements of one change; the pipelined script wraps the same lines.
statements() {
  cat <<'SQL'
BEGIN;
SELECT p.patient_id, p.deceased, p.birth_date, p.kommun FROM registry_patient p
  WHERE p.patient_id = (SELECT patient_id FROM floor_move WHERE n = :n) FOR UPDATE;
SELECT kind, episode_id, unit_id, status, valid_from, valid_to FROM registry_listing
  WHERE patient_id = (SELECT patient_id FROM floor_move WHERE n = :n)
UNION ALL SELECT 'contact', careteam_id, practitioner_role_id, status, valid_from, valid_to FROM registry_contact
  WHERE patient_id = (SELECT patient_id FROM floor_move WHERE n = :n);
SELECT registry_lock_role_to_free((SELECT old_role FROM floor_move WHERE n = :n));
SELECT unit_id, type, part_of, kommun, active FROM registry_unit
  WHERE unit_id = (SELECT new_unit FROM floor_move WHERE n = :n);
UPDATE registry_listing SET status = 'finished', valid_to = current_date
  WHERE episode_id = (SELECT old_episode FROM floor_move WHERE n = :n);
INSERT INTO registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from)
  SELECT 'floor-' || nextval('floor_id'), 'listning', patient_id, new_unit, 'active', current_date
  FROM floor_move WHERE n = :n;
UPDATE registry_contact SET valid_to = current_date, end_reason = 'listning-flyttad'
  WHERE careteam_id = (SELECT contact_id FROM floor_move WHERE n = :n);
INSERT INTO floor_fact_version (res_type, res_id, version, last_updated, body)
  SELECT t, 'floor-' || nextval('floor_id'), 2, now(), repeat('f', 120)
  FROM unnest(ARRAY['EpisodeOfCare', 'EpisodeOfCare', 'CareTeam']) t;
INSERT INTO audit_event (request_id, agent_hsa_id, agent_role, agent_organizations, action, resource_type,
                         resource_ids, patient_ids, unit, outcome, http_status)
  SELECT 'floor', 'SE2321000016-ADM1', 'admin', ARRAY['SE2321000016-A1'], 'create', 'EpisodeOfCare',
         ARRAY['floor-e1', old_episode, contact_id], ARRAY[patient_id], new_unit, 'success', 201
  FROM floor_move WHERE n = :n;
INSERT INTO subscription_outbox (res_type, res_id, version)
  SELECT t, 'floor', 2 FROM unnest(ARRAY['EpisodeOfCare', 'EpisodeOfCare', 'CareTeam']) t;
COMMIT;
SQL
}
{ echo "\\set n random(1, $moves)"; statements; } >"$BENCH_WORK/floor_round_trips.sql"
{ echo "\\set n random(1, $moves)"; echo '\startpipeline'; statements; echo '\endpipeline'; } >"$BENCH_WORK/floor_pipeline.sql"
# The same change with its three versions also stored as today's model stores them (the FHIR JSON, the
# current row, the generic search rows), all as first versions: more index rows than today's next
# versions rewrite, so an upper bound of what today's model asks of the database.
{
  echo "\\set n random(1, $moves)"
  echo '\startpipeline'
  statements | sed '$d'
  cat <<'SQL'
WITH ids AS (SELECT t.res_type, t.res_id, t.body, 'floor-' || nextval('floor_id') AS new_id FROM floor_template t),
  v AS (INSERT INTO resource_version (res_type, res_id, version, last_updated, body)
        SELECT res_type, new_id, 1, now(), body FROM ids),
  c AS (INSERT INTO resource_current (res_type, res_id, version, last_updated) SELECT res_type, new_id, 1, now() FROM ids),
  st AS (INSERT INTO search_token SELECT s.res_type, ids.new_id, s.param, s.system, s.code
         FROM ids JOIN floor_template_token s ON s.res_type = ids.res_type AND s.res_id = ids.res_id),
  sx AS (INSERT INTO search_text SELECT s.res_type, ids.new_id, s.param, s.value, s.normalized
         FROM ids JOIN floor_template_text s ON s.res_type = ids.res_type AND s.res_id = ids.res_id),
  sr AS (INSERT INTO search_reference SELECT s.res_type, ids.new_id, s.param, s.target_type, s.target_id
         FROM ids JOIN floor_template_reference s ON s.res_type = ids.res_type AND s.res_id = ids.res_id),
  sp AS (INSERT INTO search_period SELECT s.res_type, ids.new_id, s.param, s.period
         FROM ids JOIN floor_template_period s ON s.res_type = ids.res_type AND s.res_id = ids.res_id)
SELECT count(*) FROM ids;
COMMIT;
SQL
  echo '\endpipeline'
} >"$BENCH_WORK/today_pipeline.sql"

# pgbench_run DB SCRIPT_ARGS...: runs pgbench for $seconds on database DB; sets tps, db_us (the machine's
# busy CPU per transaction without pgbench's own) and pg_us (PostgreSQL's processes' CPU per transaction).
pgbench_run() {
  local db=$1 m0 m1 c0 c1 out
  shift
  children_cpu_us; c0=$(<"$BENCH_WORK/children_us.txt")
  m0=$(machine_busy_us)
  postgres_cpu_start
  out=$(pgbench -n -c "$clients" -j 2 -T "$seconds" "$@" "$(bench_url "$db")" 2>"$BENCH_WORK/pgbench.err") ||
    { tail -n 5 "$BENCH_WORK/pgbench.err" >&2; exit 1; }
  m1=$(machine_busy_us)
  local postgres_us
  postgres_us=$(postgres_cpu_stop)
  children_cpu_us; c1=$(<"$BENCH_WORK/children_us.txt")
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -n 1)
  local n
  n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  ((n > 0)) || { echo "bench: pgbench processed no transaction" >&2; exit 1; }
  txns=$n
  db_us=$(per $(((m1 - m0) - (c1 - c0))) "$n")
  pgbench_us=$(per $((c1 - c0)) "$n")
  pg_us=$(per "$postgres_us" "$n")
}

pgbench_run registry -M prepared -f "$BENCH_WORK/floor_round_trips.sql"
floor_rt_tps=$tps floor_rt_db_us=$db_us floor_rt_pg_us=$pg_us floor_txns=$txns
pgbench_run registry -M prepared -f "$BENCH_WORK/floor_pipeline.sql"
floor_pl_tps=$tps floor_pl_db_us=$db_us floor_pl_pg_us=$pg_us floor_txns=$((floor_txns + txns))
pgbench_run registry -M prepared -f "$BENCH_WORK/today_pipeline.sql"
today_pl_tps=$tps today_pl_db_us=$db_us today_pl_pg_us=$pg_us floor_txns=$((floor_txns + txns))
# Every floor transaction wrote its new listing, or the runs measured less than they claim.
written=$(psql -X -At "$(bench_url registry)" -c "SELECT count(*) FROM registry_listing WHERE episode_id LIKE 'floor-%'")
((written == floor_txns)) || { echo "bench: $written new listings from $floor_txns floor transactions" >&2; exit 1; }
bench_createdb tpcb
pgbench -q -i -s 10 "$(bench_url tpcb)" >/dev/null 2>&1
pgbench_run tpcb
tpcb_tps=$tps tpcb_db_us=$db_us tpcb_pg_us=$pg_us tpcb_client_us=$pgbench_us

own_us=$((nara_server_us + nara_client_us))
projected=$(awk -v cores="$(nproc)" -v db="$floor_pl_db_us" -v own="$own_us" 'BEGIN { printf "%.1f", cores * 1000000 / (db + own) }')
echo "nara change of listing today: $nara_rate changes/s; CPU per change: server $nara_server_us µs, curl $nara_client_us µs, whole machine $nara_machine_us µs (so the database about $((nara_machine_us - nara_server_us - nara_client_us)) µs; PostgreSQL's processes $nara_postgres_us µs)"
echo "floor, a round trip per statement (13): $floor_rt_tps tps; database CPU per change $floor_rt_db_us µs (PostgreSQL's processes $floor_rt_pg_us µs)"
echo "floor, one round trip (pipeline): $floor_pl_tps tps; database CPU per change $floor_pl_db_us µs (PostgreSQL's processes $floor_pl_pg_us µs)"
echo "floor + the three versions stored as today's model stores them, one round trip: $today_pl_tps tps; database CPU per change $today_pl_db_us µs (PostgreSQL's processes $today_pl_pg_us µs)"
echo "pgbench TPC-B, scale 10, $clients clients: $tpcb_tps tps; database CPU per transaction $tpcb_db_us µs (PostgreSQL's processes $tpcb_pg_us µs), pgbench's own $tpcb_client_us µs"
echo "a server on the floor with today's own CPU per change ($own_us µs): at most $projected changes/s"
echo "ratio floor with one round trip / TPC-B: $(bench_div "$floor_pl_tps" "$tpcb_tps")"
echo "ratio today (nara / TPC-B, goal >= 0.5): $(bench_div "$nara_rate" "$tpcb_tps")"
echo "ratio a server on the floor / TPC-B (goal >= 0.5): $(bench_div "$projected" "$tpcb_tps")"
