# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: run test test-fast lint format install messages bench load audit clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

.env:
	@echo "Creating .env for local use (DEBUG on, SQLite, tasks in-process)."
	@printf 'DEBUG=1\nSECURE_COOKIES=0\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env

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
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

test-fast: install
	$(TEST_ENV) $(BIN)/pytest -m "not slow and not e2e" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore='.venv/*' --ignore='static/*' --ignore='staticfiles/*'
	$(BIN)/python manage.py compilemessages --ignore='.venv/*'

audit: install
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --strict

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
