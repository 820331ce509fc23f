# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=
# Two processes on two cores, each with its own test database; a file's tests stay together.
PYTEST_WORKERS ?= 2

.PHONY: run test test-fast lint format install messages bench bench-data load audit clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

.env:
	@echo "Creating .env for local use (DEBUG on, SQLite, tasks in-process)."
	@printf 'DEBUG=1\nSECURE_COOKIES=0\nOTP_REQUIRED_ROLES=\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env

run: install .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo --if-empty
	@echo "Serving http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Tests get their own fixed settings; a DATABASE_URL / REDIS_URL in the environment is honoured.
TEST_ENV := SECRET_KEY=test-only-secret DEBUG=0 SECURE_COOKIES=1 \
	PASSWORD_HASHERS=django.contrib.auth.hashers.MD5PasswordHasher \
	STATICFILES_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage

test: install
	$(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: install
	$(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not slow and not e2e" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -c pyproject.toml -r . --severity-level medium -q
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(TEST_ENV) $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore='.venv/*' --ignore='static/*' --ignore='staticfiles/*'
	$(TEST_ENV) $(BIN)/python manage.py compilemessages --ignore='.venv/*'

# Benchmarks on PostgreSQL (not timed tests): a district of BENCH_ORGS organisations, then the
# pages' server time and query count, the import of 10,000 rows, the export of 20,000.
BENCH_DB ?= zhenhai_bench
BENCH_ORGS ?= 20000
BENCH_URL := postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
BENCH_ENV := DATABASE_URL=$(BENCH_URL) SECRET_KEY=bench STATICFILES_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage

bench-data: install
	psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $(BENCH_DB)" -c "CREATE DATABASE $(BENCH_DB)"
	$(BENCH_ENV) $(BIN)/python manage.py migrate --no-input -v0
	$(BENCH_ENV) $(BIN)/python manage.py generate_bench_data --orgs $(BENCH_ORGS)

# make bench-data (20,000, zhenhai_bench) and make bench-data BENCH_DB=zhenhai_bench100k
# BENCH_ORGS=100000 build the databases once; make bench measures both and prints one table.
BENCH_DBS ?= zhenhai_bench zhenhai_bench100k

bench: install
	$(BIN)/python -m tests.bench.report --runs 15 --databases $(BENCH_DBS)

load: install
	$(BENCH_ENV) $(BIN)/python -m tests.bench.load --seconds 20

audit: install
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --strict

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
