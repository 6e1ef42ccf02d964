#!/usr/bin/env bash
# Smoke test of the production profile on loopback: a private Redis, a moto
# S3/KMS server, a fresh PostgreSQL database, gunicorn with deploy/gunicorn.conf.py
# and a Celery worker, all on free ports. Migrates, creates a user with a TOTP
# authenticator, signs in through the web pages, checks the API and the OpenAPI
# schema answer, and runs the health-check task through the worker.
# Everything it starts is stopped on exit, whatever happens; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
VENV_BIN=$(dirname "$PY")
PG_HOST=${SMOKE_PG_HOST:-127.0.0.1}
PG_PORT=${SMOKE_PG_PORT:-5432}
PG_USER=${SMOKE_PG_USER:-postgres}

WORK=$(mktemp -d -t custody-smoke-XXXXXX)
DB_NAME="custody_smoke_$$_$RANDOM"
PIDS=()
DB_CREATED=0

log() { printf 'smoke: %s\n' "$*"; }

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$DB_CREATED" = 1 ]; then
    timeout 30 dropdb --if-exists -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB_NAME" || true
  fi
  if [ "$status" -ne 0 ]; then
    log "failed (exit $status); last lines of the service logs:"
    for file in "$WORK"/*.log; do [ -f "$file" ] && { echo "--- $(basename "$file")"; tail -n 25 "$file"; }; done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "timed out after ${seconds}s waiting for $what"
  return 1
}

# Any HTTP answer will do: the server is up. Says it came over TLS, as nginx would.
http_up() {
  timeout 5 "$PY" -c '
import http.client, sys
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=4)
connection.request("GET", sys.argv[2], headers={"X-Forwarded-Proto": "https"})
sys.exit(0 if connection.getresponse().status < 500 else 1)
' "$1" "$2"
}

bash deploy/services.sh >/dev/null
timeout 30 pg_isready -q -h "$PG_HOST" -p "$PG_PORT"

# --- Private Redis and moto S3/KMS -------------------------------------------
REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$WORK" \
  >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_for 20 "Redis" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping

MOTO_PORT=$(free_port)
"$PY" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
PIDS+=($!)
MOTO="http://127.0.0.1:$MOTO_PORT"
wait_for 30 "moto" http_up "$MOTO_PORT" /moto-api/

# --- The production profile's environment -----------------------------------
export CUSTODY_PROFILE=production
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64))')
export SECRET_KEY
export DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB_NAME"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
export ALLOWED_HOSTS=127.0.0.1,localhost
export CUSTODY_S3_BUCKET=smoke-files CUSTODY_EVIDENCE_BUCKET=smoke-evidence CUSTODY_AUDIT_BUCKET=smoke-audit
export AWS_ACCESS_KEY_ID=smoke AWS_SECRET_ACCESS_KEY=smoke AWS_DEFAULT_REGION=eu-west-1
export AWS_S3_ENDPOINT_URL="$MOTO" AWS_KMS_ENDPOINT_URL="$MOTO"
export CUSTODY_VAR_DIR="$WORK/var"
export CUSTODY_STATIC_ROOT="$WORK/static"
export CUSTODY_LOG_LEVEL=WARNING
mkdir -m 0700 "$CUSTODY_VAR_DIR"

timeout 60 "$PY" - <<'EOF'
import os

import boto3

s3 = boto3.client("s3", endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"], region_name="eu-west-1")
for variable in ("CUSTODY_S3_BUCKET", "CUSTODY_EVIDENCE_BUCKET", "CUSTODY_AUDIT_BUCKET"):
    s3.create_bucket(Bucket=os.environ[variable], CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
EOF

# --- Database, static files, a user with an authenticator -------------------
timeout 30 createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB_NAME"
DB_CREATED=1
log "migrating a fresh database"
# Warnings fail `make test-production`; here only errors stop the run.
timeout 300 "$PY" manage.py check --deploy >"$WORK/check.log" 2>&1
SECONDS=0
timeout 300 "$PY" manage.py migrate --no-input -v 0
log "migrated in ${SECONDS}s"
timeout 120 "$PY" manage.py collectstatic --no-input -v 0

USERNAME=smoke-operator
PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')
TOTP_KEY=$("$PY" -c 'import secrets; print(secrets.token_hex(20))')
export SMOKE_USERNAME=$USERNAME SMOKE_PASSWORD=$PASSWORD SMOKE_TOTP_KEY=$TOTP_KEY
timeout 60 "$PY" manage.py shell -v 0 -c '
import os
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import User
user = User.objects.create_user(username=os.environ["SMOKE_USERNAME"], password=os.environ["SMOKE_PASSWORD"])
TOTPDevice.objects.create(user=user, name="authenticator", key=os.environ["SMOKE_TOTP_KEY"], confirmed=True)
'

# --- Web and worker ------------------------------------------------------------
WEB_PORT=$(free_port)
GUNICORN_BIND="127.0.0.1:$WEB_PORT" GUNICORN_WORKERS=2 \
  "$VENV_BIN/gunicorn" --config deploy/gunicorn.conf.py >"$WORK/gunicorn.log" 2>&1 &
PIDS+=($!)
"$VENV_BIN/celery" --app vault worker --pool prefork --concurrency 1 --loglevel WARNING \
  --without-gossip --without-mingle --without-heartbeat >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
wait_for 60 "gunicorn" http_up "$WEB_PORT" /static/css/custody.css
wait_for 60 "the Celery worker" timeout 10 "$VENV_BIN/celery" --app vault inspect ping --timeout 2

# --- Checks -------------------------------------------------------------------
timeout 90 "$PY" deploy/smoke_client.py "http://127.0.0.1:$WEB_PORT" "$USERNAME" "$PASSWORD" "$TOTP_KEY"
timeout 90 "$PY" manage.py shell -v 0 -c '
import secrets
from vault.tasks import health_check
token = secrets.token_hex(8)
answer = health_check.delay(token).get(timeout=60)
assert answer["token"] == token and answer["database"] == "ok", answer
print("smoke: the health-check task ran on the worker and answered through the result backend")
'
log "passed"
