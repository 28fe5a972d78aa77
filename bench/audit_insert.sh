#!/usr/bin/env bash
# The audit log's insert cost per row (issue "hot paths"): the statement the audit writer runs
# (pg/internal/audit_writer.*: one INSERT … SELECT FROM unnest per batch, one COMMIT) at batch sizes
# 1, 8 and 64, driven by pgbench with C clients for S seconds each, into the table partitioned by
# month (schema/0012_audit_by_month.sql), then the bytes per row the log keeps (heap and indexes).
#   bench/audit_insert.sh [--seconds S] [--clients C]   default 10 s, 4 clients
#   bench/audit_insert.sh --smoke                       1 s: checks the script works
# Each row is what a GET Patient writes: one patient, one resource id, the caller's two units.
# The figure printed last is rows/s at batch 64 over rows/s at batch 1: what batching buys here.
source "$(dirname "$0")/common.sh"

seconds=10 clients=4
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --smoke) seconds=1; shift ;;
    *) echo "usage: bench/audit_insert.sh [--seconds S] [--clients C] | --smoke" >&2; exit 2 ;;
  esac
done

bench_start_cluster
bench_createdb audit
bench_header "audit insert cost (batches of 1, 8, 64 rows; $clients clients, $seconds s each)"
declare -A rate
for batch in 1 8 64; do
  cat >"$BENCH_WORK/insert$batch.sql" <<SQL
INSERT INTO audit_event (request_id, agent_hsa_id, agent_role, agent_name, agent_organizations, action,
  resource_type, resource_ids, patient_ids, unit, outcome, http_status, detail)
SELECT 'bench-' || g, 'SE2321000016-E001', 'ehr', 'Journalsystem Åby vårdcentral',
  '{SE2321000016-2001,SE2321000016-2002}'::text[], 'read', 'Patient', ARRAY['p-' || (random() * 1e6)::int],
  ARRAY['p-' || (random() * 1e6)::int], 'SE2321000016-2001', 'success', 200, ''
FROM generate_series(1, $batch) g;
SQL
  tps=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$BENCH_WORK/insert$batch.sql" "$(bench_url audit)" 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)
  rate[$batch]=$(awk -v t="$tps" -v b="$batch" 'BEGIN { printf "%.0f", t * b }')
  echo "batch $batch: $tps commits/s = ${rate[$batch]} rows/s, $(awk -v r="${rate[$batch]}" 'BEGIN { printf "%.1f", 1e6 / r }') µs of the machine per row"
done
psql -X -q "$(bench_url audit)" -c "VACUUM ANALYZE audit_event" >/dev/null
read -r rows bytes < <(psql -X -At -F ' ' "$(bench_url audit)" -c "
  SELECT (SELECT count(*) FROM audit_event),
         (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'audit_event'::regclass)")
echo "stored: $rows rows, $(bench_div "$bytes" "$rows") bytes per row with the indexes (primary key, GIN on patient_ids, agent)"
echo "ratio (rows/s at batch 64 / rows/s at batch 1): $(bench_div "${rate[64]}" "${rate[1]}")"
