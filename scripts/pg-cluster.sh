#!/usr/bin/env bash
# A private PostgreSQL 15 cluster kept in one folder, reachable only through a Unix socket in DIR/sock
# (no TCP at all), for development (run.sh) and tests (tests/support/pg_cluster.cpp).
#
#   pg-cluster.sh start  DIR [PORT]   initdb if needed, start (no-op if running), create database `nara`
#   pg-cluster.sh stop   DIR          fast shutdown if running
#   pg-cluster.sh status DIR          exit 0 and "running …" if running, exit 3 and "stopped" if not
#   pg-cluster.sh url    DIR [DBNAME] print postgresql://postgres@/DBNAME?host=ABS_DIR/sock&port=PORT
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
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
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

case $cmd in
  start)  (($# <= 3)) || usage; cmd_start "${3:-}" ;;
  stop)   (($# == 2)) || usage; cmd_stop ;;
  status) (($# == 2)) || usage; cmd_status ;;
  url)    (($# <= 3)) || usage; url_for "${3:-nara}" ;;
  *) usage ;;
esac
