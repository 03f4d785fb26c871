# Two commands: `make run` serves the app on the embedded defaults, `make test` checks it.
# Both create .venv and install what they need from the package registry. `make serve`
# tries the production stack (gunicorn, the task worker, collected static files) locally.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run serve test smoke lint format sandbox messages clean bench bench-quick

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.run-deps

# `make run` lives the sandbox's whole lifecycle: the in-process sandbox delivers its
# signed webhooks to this app's own receiver, and keeps its state in a file beside the
# default database, so a restart forgets nothing. Each is set only when neither the
# environment (an empty value counts: it turns the feature off) nor `.env` sets it.
# The tests never pass through here, so they stay hermetic.
run_default = $(if $(filter undefined,$(origin $(1))),$(if $(shell grep -qsE '^[[:space:]]*(export[[:space:]]+)?$(1)[[:space:]]*=' .env && echo set),,$(1)=$(2)))
# SITE_URL follows PORT, so the join links in the emails point at this server.
RUN_ENV = $(call run_default,SITE_URL,http://127.0.0.1:$(PORT)) \
	$(call run_default,KAIRO_SANDBOX_WEBHOOK_URL,http://127.0.0.1:$(PORT)/kairo/webhooks/) \
	$(call run_default,KAIRO_SANDBOX_STATE_FILE,$(CURDIR)/.kairo-sandbox.json)

run: $(VENV)/.run-deps
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_catalogs
	$(BIN)/python manage.py create_demo_staff
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# `make serve`: the production stack on this machine (docs/operations.md "Trying the
# production stack"): debug off, gunicorn with gunicorn.conf.py, a task_worker beside it,
# static files collected and served by WhiteNoise. Safe local values for a trial only,
# each set unless the environment or `.env` sets it: plain HTTP on loopback (no HTTPS
# redirect, HSTS or secure-only cookies), one process (the in-process sandbox lives in
# it), and the sandbox on purpose (KAIRO_TRAINING_MODE=1).
SERVE_SECRET_FILE := $(VENV)/serve-secret-key
SERVE_ENV = $(RUN_ENV) \
	$(call run_default,DJANGO_DEBUG,0) \
	$(call run_default,DJANGO_SECRET_KEY,$$(cat $(SERVE_SECRET_FILE))) \
	$(call run_default,DJANGO_ALLOWED_HOSTS,127.0.0.1$(,)localhost) \
	$(call run_default,DJANGO_SECURE_SSL_REDIRECT,0) \
	$(call run_default,DJANGO_SECURE_HSTS_SECONDS,0) \
	$(call run_default,DJANGO_SESSION_COOKIE_SECURE,0) \
	$(call run_default,DJANGO_CSRF_COOKIE_SECURE,0) \
	$(call run_default,TASKS_BACKEND,database) \
	$(call run_default,KAIRO_TRAINING_MODE,1) \
	$(call run_default,GUNICORN_BIND,127.0.0.1:$(PORT)) \
	$(call run_default,GUNICORN_WORKERS,1)
, := ,

$(SERVE_SECRET_FILE): | $(BIN)/python
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

serve: $(VENV)/.run-deps $(SERVE_SECRET_FILE)
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(SERVE_ENV) $(BIN)/python manage.py load_catalogs
	$(SERVE_ENV) sh -c '$(BIN)/python manage.py task_worker --no-reload --interval 2 & \
		trap "kill $$! 2>/dev/null" EXIT INT TERM; \
		$(BIN)/gunicorn -c gunicorn.conf.py clinic.wsgi:application'

# axe-core, for the browser tests' accessibility crawl, from the npm registry (pinned in
# package-lock.json; never a CDN).
AXE := node_modules/axe-core/axe.min.js

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The lint steps first (ruff, the format check, mypy), then the migrations check and pytest.
test: lint $(AXE)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# The zero-setup path on a throwaway SQLite file: migrate, load catalogs, render pages.
SMOKE_DB := $(VENV)/smoke.sqlite3
SMOKE_MANAGE := DATABASE_URL=sqlite:///$(CURDIR)/$(SMOKE_DB) $(BIN)/python manage.py

smoke: $(VENV)/.dev-deps
	rm -f $(SMOKE_DB)
	$(SMOKE_MANAGE) migrate --noinput -v0
	$(SMOKE_MANAGE) load_catalogs
	$(SMOKE_MANAGE) check
	env -u DATABASE_URL $(BIN)/pytest -m smoke $(PYTEST_ARGS)

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Collect strings into locale/es/LC_MESSAGES/django.po (needs gettext's xgettext), then
# compile the .mo with polib, so running the app never needs gettext.
messages: $(VENV)/.dev-deps
	$(BIN)/python manage.py makemessages -l es --no-obsolete --ignore=.venv --ignore=node_modules --ignore=tests --ignore=bench
	$(BIN)/python -c "import polib; polib.pofile('locale/es/LC_MESSAGES/django.po').save_as_mofile('locale/es/LC_MESSAGES/django.mo')"

# The performance harness (docs/development.md "Performance harness"): PostgreSQL
# databases named $(BENCH_DB_PREFIX)_<mode>_small/_large (dropped first and at the end),
# generated data, the standalone sandbox with 100 ms latency and one gunicorn per
# database; figures go to $(BENCH_OUT)/results.json and RESULTS.md. It fails only when the
# harness itself breaks, never because a figure misses its target. `bench` is the full
# run (1,000,000 consultations); `bench-quick` the CI one (1,000 vs 30,000).
BENCH_OUT ?= bench
BENCH_QUICK_OUT ?= artifacts/bench
BENCH_DB_PREFIX ?= bench

bench: $(VENV)/.dev-deps
	$(BIN)/python -m bench.run --mode full --out $(BENCH_OUT) --prefix $(BENCH_DB_PREFIX)

bench-quick: $(VENV)/.dev-deps
	$(BIN)/python -m bench.run --mode quick --out $(BENCH_QUICK_OUT) --prefix $(BENCH_DB_PREFIX)

sandbox: $(VENV)/.run-deps
	$(BIN)/python manage.py kairo_sandbox --port 8765

clean:
	rm -rf $(VENV) node_modules staticfiles artifacts .pytest_cache .ruff_cache .mypy_cache .hypothesis
