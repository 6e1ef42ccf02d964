#!/usr/bin/env bash
# Start the local services the production profile's tests use (PostgreSQL,
# Redis), if they are not already answering. Idempotent.
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
redis-cli -h 127.0.0.1 -p 6379 ping
# The test database URLs name the postgres role without a password (trust on loopback, as on the CI machine).
if ! psql -h 127.0.0.1 -p 5432 -U postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
  echo "warning: PostgreSQL refuses 'postgres' on 127.0.0.1 without a password;" \
    "pass TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/custody to make" >&2
fi
