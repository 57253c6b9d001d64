#!/usr/bin/env bash
# Starts the local PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306) used by the
# integration tests, if they are installed and not already up. Idempotent; never fails: a machine
# without them points the tests elsewhere with TOOLCRIB_TEST_POSTGRES_URL / TOOLCRIB_TEST_MYSQL_URL
# (the tests then skip, or fail under CI=true, when a server cannot be reached).
set -u

port_open() {  # port_open PORT
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

wait_port() {  # wait_port PORT NAME SECONDS
  local waited=0
  until port_open "$1"; do
    if [ "$waited" -ge "$3" ]; then
      echo "start-test-servers: $2 did not answer on 127.0.0.1:$1 within $3 s" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

local_target() {  # local_target URL PORT: the URL (empty = default) is this machine's server
  [ -z "$1" ] || [[ "$1" == *"@127.0.0.1:$2/"* ]] || [[ "$1" == *"@localhost:$2/"* ]]
}

if local_target "${TOOLCRIB_TEST_POSTGRES_URL:-}" 5432 && ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] \
      && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "start-test-servers: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start \
      || echo "start-test-servers: PostgreSQL did not start" >&2
    wait_port 5432 PostgreSQL 30 || true
  else
    echo "start-test-servers: PostgreSQL is not installed here; skipping" >&2
  fi
fi

if local_target "${TOOLCRIB_TEST_MYSQL_URL:-}" 3306 && ! port_open 3306; then
  if [ -x /usr/sbin/mariadbd ] && command -v start-stop-daemon >/dev/null 2>&1; then
    echo "start-test-servers: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd \
      || echo "start-test-servers: MariaDB did not start" >&2
    wait_port 3306 MariaDB 30 || true
  else
    echo "start-test-servers: MariaDB is not installed here; skipping" >&2
  fi
fi

exit 0
