#!/usr/bin/env bash
# A private PostgreSQL 15 cluster kept in one folder, reachable only through a Unix socket in DIR/sock
# (no TCP at all), for development (run.sh) and tests (tests/support/pg_cluster.cpp).
#
#   pg-cluster.sh start  DIR [PORT]   initdb if needed, start (no-op if running), create database `nara`
#   pg-cluster.sh stop   DIR          fast shutdown if running
#   pg-cluster.sh status DIR          exit 0 and "running …" if running, exit 3 and "stopped" if not
#   pg-cluster.sh url    DIR [DBNAME] print postgresql://postgres@/DBNAME?host=ABS_DIR/sock&port=PORT
#   pg-cluster.sh standby PRIMARY_DIR DIR [PORT] [NAME] [--async]
#                                     a hot standby of the running cluster in PRIMARY_DIR (pg_basebackup -R,
#                                     streaming), started; unless --async the primary is then told to commit
#                                     only once NAME (default standby1) has the WAL (synchronous_standby_names)
#   pg-cluster.sh kill    DIR         kill -9 the server and its backends (a crash, for failover tests)
#   pg-cluster.sh promote DIR         promote the standby in DIR to a primary (pg_ctl promote, waits)
#
# Layout: DIR/data (PGDATA, mode 0700), DIR/sock (socket directory), DIR/postgres.log.
# PORT (default 5432, or the one the cluster was last started with) only names the socket file.
# PostgreSQL refuses to run as root: when we are root, the server runs as the `postgres` user and
# DIR is handed to that user; otherwise everything runs as the calling user.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x $PGBIN/pg_ctl ]] && command -v pg_config >/dev/null 2>&1; then
  PGBIN=$(pg_config --bindir)
fi
PG_USER=postgres   # the OS user the server runs as when we are root, and the database superuser
DEFAULT_PORT=5432

die() { echo "pg-cluster: $*" >&2; exit 1; }
note() { echo "pg-cluster: $*" >&2; }
usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

(($# >= 2)) || usage
cmd=$1
dir=$(realpath -m -- "$2")
data=$dir/data
sock=$dir/sock
conf_name=nara-cluster.conf   # our settings, rewritten on every start; included from postgresql.conf

is_root() { ((EUID == 0)); }

# Runs a command as the server's OS user.
as_pg() {
  if is_root; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

is_running() {
  [[ -f $data/PG_VERSION ]] || return 1
  as_pg "$PGBIN/pg_ctl" status -D "$data" >/dev/null 2>&1
}

# The port the cluster is configured with (from our conf file), or the default.
configured_port() {
  local p=""
  if [[ -r $data/$conf_name ]]; then
    p=$(sed -n "s/^port = \([0-9]\+\).*/\1/p" "$data/$conf_name" | tail -n 1)
  fi
  echo "${p:-$DEFAULT_PORT}"
}

# Percent-encodes a string for use as a URL query value.
urlencode() {
  local LC_ALL=C s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9/._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

url_for() {
  local db=$1 port
  port=$(configured_port)
  printf 'postgresql://%s@/%s?host=%s&port=%s\n' "$PG_USER" "$(urlencode "$db")" "$(urlencode "$sock")" "$port"
}

# When root: the postgres user must be able to traverse every parent of DIR. Grant o+x only where needed.
ensure_traversable() {
  is_root || return 0
  local p=$dir parents=()
  while [[ $p != / ]]; do
    p=$(dirname -- "$p")
    parents=("$p" "${parents[@]}")
  done
  for p in "${parents[@]}"; do
    if ! runuser -u "$PG_USER" -- test -x "$p"; then
      chmod o+x -- "$p"
      note "chmod o+x $p (so the $PG_USER user can reach $dir)"
    fi
  done
}

pick_locale() {
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    echo C.UTF-8
  else
    echo C
  fi
}

write_conf() {
  local port=$1 tmp=$data/$conf_name.tmp
  cat >"$tmp" <<EOF
# Written by scripts/pg-cluster.sh on every start; edits are lost.
listen_addresses = ''
unix_socket_directories = '${sock//\'/\'\'}'
port = $port
shared_buffers = 128MB
max_connections = 200
fsync = on
EOF
  chmod 0644 "$tmp"
  if is_root; then chown "$PG_USER:" "$tmp"; fi
  mv -f "$tmp" "$data/$conf_name"
}

init_cluster() {
  local loc out
  loc=$(pick_locale)
  if [[ -e $data ]] && [[ -n $(ls -A "$data" 2>/dev/null) ]]; then
    die "$data exists, is not empty and has no PG_VERSION; remove it or choose another DIR"
  fi
  if ! out=$(as_pg "$PGBIN/initdb" -D "$data" -U "$PG_USER" --auth=trust -E UTF8 --locale="$loc" 2>&1); then
    echo "$out" >&2
    die "initdb failed"
  fi
  chmod 0700 "$data"
  echo "include_if_exists = '$conf_name'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

create_nara_db() {
  local admin exists out
  admin=$(url_for postgres)
  exists=$("$PGBIN/psql" -X -At -d "$admin" -c "select 1 from pg_database where datname = 'nara'")
  [[ $exists == 1 ]] && return 0
  if ! out=$("$PGBIN/psql" -X -q -d "$admin" -c 'CREATE DATABASE nara' 2>&1); then
    # Another start may have created it meanwhile.
    exists=$("$PGBIN/psql" -X -At -d "$admin" -c "select 1 from pg_database where datname = 'nara'")
    [[ $exists == 1 ]] || { echo "$out" >&2; die "could not create database nara"; }
  fi
}

cmd_start() {
  local port=${1:-}
  [[ -z $port || $port =~ ^[0-9]+$ ]] || die "PORT must be a number: $port"
  # Unix socket paths are limited to 107 bytes.
  local sockfile="$sock/.s.PGSQL.${port:-$DEFAULT_PORT}"
  ((${#sockfile} <= 100)) || die "socket path too long (${#sockfile} bytes, max 100): $sockfile; use a shorter DIR"

  if is_running; then
    if [[ -n $port && $port != "$(configured_port)" ]]; then
      note "already running with port $(configured_port); not restarting for port $port"
    fi
    create_nara_db
    return 0
  fi

  mkdir -p -- "$dir"
  if is_root; then
    ensure_traversable
    chown "$PG_USER:" "$dir"
  fi
  mkdir -p -- "$sock"
  if is_root; then chown "$PG_USER:" "$sock"; fi
  chmod 0755 "$sock"

  [[ -f $data/PG_VERSION ]] || init_cluster
  if is_root; then chown "$PG_USER:" "$data"; fi
  chmod 0700 "$data"
  write_conf "${port:-$(configured_port)}"

  if ! as_pg "$PGBIN/pg_ctl" start -D "$data" -w -t 120 -l "$dir/postgres.log" >/dev/null 2>&1; then
    tail -n 30 "$dir/postgres.log" >&2 2>/dev/null || true
    die "server did not start; see $dir/postgres.log"
  fi
  create_nara_db
}

cmd_stop() {
  is_running || return 0
  local out
  if ! out=$(as_pg "$PGBIN/pg_ctl" stop -D "$data" -m fast -w -t 120 2>&1); then
    echo "$out" >&2
    die "could not stop the server in $data"
  fi
}

cmd_status() {
  if is_running; then
    echo "running (data $data, socket $sock, port $(configured_port))"
  else
    echo "stopped ($data)"
    exit 3
  fi
}

# A hot standby of the cluster in $1 (the primary, running) in $dir. The base backup is taken before the
# primary names the standby synchronous: the standby's copy of postgresql.auto.conf then has no
# synchronous_standby_names, so once promoted it commits on its own instead of waiting for a standby that
# does not exist (a new synchronous standby is attached to it the same way).
cmd_standby() {
  local primary_dir primary_sock primary_port port=$2 name=${3:-standby1} sync=$4 out i state
  primary_dir=$(realpath -m -- "$1")
  [[ $name =~ ^[a-z0-9_]+$ ]] || die "NAME must be [a-z0-9_]+: $name"
  [[ -z $port || $port =~ ^[0-9]+$ ]] || die "PORT must be a number: $port"
  as_pg "$PGBIN/pg_ctl" status -D "$primary_dir/data" >/dev/null 2>&1 || die "no running cluster in $primary_dir"
  primary_sock=$primary_dir/sock
  primary_port=$(sed -n "s/^port = \([0-9]\+\).*/\1/p" "$primary_dir/data/$conf_name" | tail -n 1)
  [[ ! -e $data ]] || die "$data exists; a standby needs a fresh DIR"
  mkdir -p -- "$dir"
  if is_root; then
    ensure_traversable
    chown "$PG_USER:" "$dir"
  fi
  # -R writes standby.signal and primary_conninfo; -X stream copies the WAL made during the copy too.
  if ! out=$(as_pg "$PGBIN/pg_basebackup" -h "$primary_sock" -p "${primary_port:-$DEFAULT_PORT}" -U "$PG_USER" \
               -D "$data" -R -X stream -c fast 2>&1); then
    echo "$out" >&2
    die "pg_basebackup from $primary_dir failed"
  fi
  # The walreceiver reports cluster_name as its application_name: the name synchronous_standby_names uses.
  echo "cluster_name = '$name'" | as_pg tee -a "$data/postgresql.auto.conf" >/dev/null
  cmd_start "${port:-$(( ${primary_port:-$DEFAULT_PORT} + 1 ))}"
  if [[ $sync == sync ]]; then
    "$PGBIN/psql" -X -q -d "$(dir=$primary_dir; sock=$primary_sock; data=$primary_dir/data; url_for postgres)" \
      -c "ALTER SYSTEM SET synchronous_standby_names = '\"$name\"'" -c 'SELECT pg_reload_conf()' >/dev/null
  fi
  # Wait (bounded) until the primary streams to it, and counts it synchronous when asked to.
  for ((i = 0; i < 300; i++)); do
    state=$("$PGBIN/psql" -X -At -d "$(dir=$primary_dir; sock=$primary_sock; data=$primary_dir/data; url_for postgres)" \
              -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$name' AND state = 'streaming'")
    if [[ $sync == sync && $state == sync ]] || [[ $sync != sync && -n $state ]]; then return 0; fi
    sleep 0.1
  done
  die "the standby $name did not start streaming from $primary_dir within 30 s (state '$state')"
}

# kill -9 of the postmaster and of every backend it started, all at once, as a power cut would.
cmd_kill() {
  [[ -f $data/postmaster.pid ]] || return 0
  local pid children
  pid=$(head -n 1 "$data/postmaster.pid")
  [[ $pid =~ ^[0-9]+$ ]] || die "no server pid in $data/postmaster.pid"
  kill -0 "$pid" 2>/dev/null || return 0
  children=$(ps -o pid= --ppid "$pid" || true)
  # shellcheck disable=SC2086  # one word per pid
  kill -9 "$pid" $children 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  die "server $pid did not die"
}

cmd_promote() {
  local out
  if ! out=$(as_pg "$PGBIN/pg_ctl" promote -D "$data" -w -t 60 2>&1); then
    echo "$out" >&2
    die "could not promote the standby in $data"
  fi
  # pg_ctl returns once the control file says "in production"; sessions are read-write a moment later,
  # when recovery has ended in shared memory too. Wait for that, so a caller may count on writes.
  local i
  for ((i = 0; i < 300; i++)); do
    [[ $("$PGBIN/psql" -X -At -d "$(url_for postgres)" -c 'SELECT pg_is_in_recovery()' 2>/dev/null) == f ]] && return 0
    sleep 0.1
  done
  die "the server in $data still in recovery 30 s after promotion"
}

case $cmd in
  start)  (($# <= 3)) || usage; cmd_start "${3:-}" ;;
  stop)   (($# == 2)) || usage; cmd_stop ;;
  status) (($# == 2)) || usage; cmd_status ;;
  url)    (($# <= 3)) || usage; url_for "${3:-nara}" ;;
  standby)
    (($# >= 3 && $# <= 6)) || usage
    mode=sync
    args=()
    for a in "${@:4}"; do
      if [[ $a == --async ]]; then mode=async; else args+=("$a"); fi
    done
    dir=$(realpath -m -- "$3"); data=$dir/data; sock=$dir/sock
    cmd_standby "$2" "${args[0]:-}" "${args[1]:-}" "$mode"
    ;;
  kill)    (($# == 2)) || usage; cmd_kill ;;
  promote) (($# == 2)) || usage; cmd_promote ;;
  *) usage ;;
esac
