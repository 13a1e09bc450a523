#!/usr/bin/env bash
# Makes the test services reachable on 127.0.0.1: PostgreSQL :5432 (user postgres, trust auth,
# database `test`) and Redis :6379. Starts them with the machine's service commands when stopped,
# installs them from Debian packages when absent.
#   scripts/services.sh up | down | status
set -u

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

redis_up() { have redis-cli && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
pg_up() { have pg_isready && pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; }

wait_for() { # name, check function, seconds
  local i
  for i in $(seq 1 "$3"); do "$2" && return 0; sleep 1; done
  echo "services: $1 did not come up within $3 s" >&2
  return 1
}

start_redis() {
  redis_up && { echo "redis: up"; return 0; }
  if ! have redis-server; then
    echo "redis: installing redis-server"
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  echo "redis: starting"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for redis redis_up 20 && echo "redis: up"
}

start_pg() {
  if ! pg_up; then
    if ! have pg_ctlcluster; then
      echo "postgres: installing postgresql"
      as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    echo "postgres: starting"
    for v in $(ls /etc/postgresql); do
      as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>&1 | grep -v "already running" || true
    done
    wait_for postgres pg_up 30 || return 1
  fi
  # Trust auth for user postgres on 127.0.0.1 and a `test` database are what the tests expect.
  if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d test -tAc 'select 1' >/dev/null 2>&1; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc 'create database test' >/dev/null 2>&1 ||
      as_root su postgres -c "psql -p $PG_PORT -tAc 'create database test'" >/dev/null 2>&1 || true
  fi
  psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d test -tAc 'select 1' >/dev/null 2>&1 ||
    { echo "postgres: cannot connect as postgres to database test on $PG_HOST:$PG_PORT" >&2; return 1; }
  echo "postgres: up"
}

stop_redis() { redis_up && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1; echo "redis: down"; }
stop_pg() {
  for v in $(ls /etc/postgresql 2>/dev/null); do as_root pg_ctlcluster --skip-systemctl-redirect "$v" main stop 2>/dev/null; done
  echo "postgres: down"
}

status() {
  if redis_up; then echo "redis: up"; else echo "redis: down"; fi
  if pg_up; then echo "postgres: up"; else echo "postgres: down"; fi
}

case "${1:-status}" in
  up) rc=0; start_redis || rc=1; start_pg || rc=1; exit $rc ;;
  down) stop_redis; stop_pg ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
