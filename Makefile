# Custody: `make run` starts the vault (embedded profile); `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The production profile's test database and broker: local PostgreSQL and Redis.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/custody
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

PRODUCTION_TEST_ENV := CUSTODY_PROFILE=production \
	SECRET_KEY=$$(cat $(VENV)/.test-secret-key) \
	DATABASE_URL=$(TEST_DATABASE_URL) \
	CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	ALLOWED_HOSTS=testserver,localhost,127.0.0.1 \
	CUSTODY_S3_BUCKET=custody-files CUSTODY_EVIDENCE_BUCKET=custody-evidence CUSTODY_AUDIT_BUCKET=custody-audit \
	AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=eu-west-1 \
	CUSTODY_VAR_DIR=$$(mktemp -d)

.PHONY: setup run test lint typecheck test-embedded test-production smoke messages

# The compiled audit chain walker (native/chainwalk) is built here from source; it needs gcc and
# the Python headers.
$(VENV)/.installed: requirements.txt native/chainwalk/custody_chainwalk.c native/chainwalk/setup.py native/chainwalk/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --force-reinstall --no-deps ./native/chainwalk
	touch $@

setup: $(VENV)/.installed

messages: setup
	$(PY) manage.py compilemessages --ignore=.venv -v 0

run: setup messages
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy .

$(VENV)/.test-secret-key:
	$(PY) -c 'import secrets; print(secrets.token_urlsafe(64))' > $@

# Variables of the production profile left in the caller's shell must not leak into this run.
test-embedded: setup messages
	env -u DATABASE_URL -u CELERY_BROKER_URL -u CELERY_RESULT_BACKEND -u SECRET_KEY \
		CUSTODY_PROFILE=embedded CUSTODY_EXPECT_PROFILE=embedded $(VENV)/bin/pytest $(PYTEST_ARGS)

test-production: setup messages $(VENV)/.test-secret-key
	$(PRODUCTION_TEST_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(PRODUCTION_TEST_ENV) CUSTODY_EXPECT_PROFILE=production $(VENV)/bin/pytest $(PYTEST_ARGS)

smoke: setup messages
	bash deploy/smoke.sh

test: lint typecheck test-embedded test-production smoke
