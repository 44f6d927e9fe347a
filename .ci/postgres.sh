# A throwaway PostgreSQL server for the store's tests (humanaid.store): source it.
#
#   . .ci/postgres.sh        # installs PostgreSQL if missing (as root), starts a server
#   echo "$HUMANAID_TEST_POSTGRESQL_URL"
#   humanaid_postgres_stop   # stops it and removes its files (.ci/run does this on exit)
#
# The server is the operating system's PostgreSQL package, run from a new data directory
# in a temporary directory, on a free port of 127.0.0.1, as the `postgres` user when run
# as root (initdb refuses root) or as the caller otherwise; fsync is off (its data is
# thrown away). It exports HUMANAID_TEST_POSTGRESQL_URL for tests/test_store.py.

humanaid_postgres_start() {
  local bin dir port run
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] && ! command -v initdb >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "PostgreSQL is not installed, and installing it needs root (apt-get install postgresql)" >&2
      return 1
    fi
    echo "installing PostgreSQL from the operating system's packages" >&2
    apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null || return 1
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [ -n "$bin" ] || bin=$(dirname "$(command -v initdb)")

  dir=$(mktemp -d "${TMPDIR:-/tmp}/humanaid-postgres.XXXXXX") || return 1
  run=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir" && run=(runuser -u postgres --) || return 1
  fi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

  "${run[@]}" "$bin/initdb" -D "$dir/data" -U humanaid -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U humanaid humanaid_test || return 1

  HUMANAID_POSTGRES_DIR=$dir
  HUMANAID_POSTGRES_BIN=$bin
  export HUMANAID_TEST_POSTGRESQL_URL="postgresql+psycopg://humanaid@127.0.0.1:$port/humanaid_test"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $HUMANAID_TEST_POSTGRESQL_URL" >&2
}

humanaid_postgres_stop() {
  [ -n "${HUMANAID_POSTGRES_DIR:-}" ] || return 0
  local run=()
  [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
  "${run[@]}" "$HUMANAID_POSTGRES_BIN/pg_ctl" -D "$HUMANAID_POSTGRES_DIR/data" -m fast -w stop \
    >/dev/null 2>&1 || true
  rm -rf "$HUMANAID_POSTGRES_DIR"
  HUMANAID_POSTGRES_DIR=
}

humanaid_postgres_start
