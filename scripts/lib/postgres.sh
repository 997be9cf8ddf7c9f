# A throwaway PostgreSQL server on loopback for the tests: installed with apt-get when missing,
# initialised in a temporary directory, started on a free port, stopped by the caller's trap.
# Source it, then: offerloop_postgres_start (exports OFFERLOOP_TEST_POSTGRES_URL);
# offerloop_postgres_stop; offerloop_postgres_crash SECONDS (an immediate stop, as a crash,
# then a start on the same port after SECONDS); offerloop_postgres_read_only SECONDS (every
# session's new transactions read-only for SECONDS, as a store that has gone read-only).

offerloop_postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

offerloop_postgres_start() {
  if [ -z "$(offerloop_postgres_bin)" ]; then
    offerloop_apt_install postgresql
  fi
  local bin port dir run_as=()
  bin="$(offerloop_postgres_bin)"
  [ -n "$bin" ] || { echo "PostgreSQL binaries not found under /usr/lib/postgresql" >&2; return 1; }
  # Below Linux's ephemeral range (32768–60999): a port in it can be a client connection's own
  # (nothing listens there, yet it cannot be bound), as a CI run once met; and if the chosen port
  # still cannot be bound, the next free one is tried.
  port=25432
  dir="$(mktemp -d /tmp/offerloop-pg.XXXXXX)"
  # initdb refuses to run as root: the server runs as the postgres user, which owns its directory.
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown postgres "$dir"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U offerloop --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  local tries=0
  while true; do
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    offerloop_log "starting a throwaway PostgreSQL ($("$bin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port"
    OFFERLOOP_POSTGRES_OPTIONS="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200"
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$OFFERLOOP_POSTGRES_OPTIONS" start \
      >/dev/null 2>"$dir/pg_ctl.log" && break
    tries=$((tries + 1))
    if ! grep -q "could not create any TCP/IP sockets" "$dir/server.log" || [ "$tries" -ge 10 ]; then
      cat "$dir/pg_ctl.log" "$dir/server.log" >&2
      return 1
    fi
    port=$((port + 1))
  done
  "${run_as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U offerloop offerloop_test
  export OFFERLOOP_TEST_POSTGRES_URL="postgres://offerloop@127.0.0.1:$port/offerloop_test"
  OFFERLOOP_POSTGRES_DIR="$dir"
  OFFERLOOP_POSTGRES_RUN_AS=("${run_as[@]}")
}

offerloop_postgres_stop() {
  [ -n "${OFFERLOOP_POSTGRES_DIR:-}" ] || return 0
  "${OFFERLOOP_POSTGRES_RUN_AS[@]}" "$(offerloop_postgres_bin)/pg_ctl" -D "$OFFERLOOP_POSTGRES_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$OFFERLOOP_POSTGRES_DIR"
  OFFERLOOP_POSTGRES_DIR=""
}

offerloop_postgres_crash() {
  local bin
  bin="$(offerloop_postgres_bin)"
  "${OFFERLOOP_POSTGRES_RUN_AS[@]}" "$bin/pg_ctl" -D "$OFFERLOOP_POSTGRES_DIR/data" -m immediate -w stop >/dev/null
  sleep "$1"
  "${OFFERLOOP_POSTGRES_RUN_AS[@]}" "$bin/pg_ctl" -D "$OFFERLOOP_POSTGRES_DIR/data" -l "$OFFERLOOP_POSTGRES_DIR/server.log" -w -t 60 \
    -o "$OFFERLOOP_POSTGRES_OPTIONS" start >/dev/null
}

offerloop_postgres_read_only() {
  local sql=(psql "$OFFERLOOP_TEST_POSTGRES_URL" -q -c)
  "${sql[@]}" "ALTER SYSTEM SET default_transaction_read_only = on" -c "SELECT pg_reload_conf()" >/dev/null
  sleep "$1"
  PGOPTIONS="-c default_transaction_read_only=off" "${sql[@]}" "ALTER SYSTEM RESET default_transaction_read_only" -c "SELECT pg_reload_conf()" >/dev/null
}
