# Sightline: every set-up step lives here, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# One stamp per lock, so a change to either reinstalls what it pins.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
# Where `make run` serves the app (HOST=0.0.0.0 for every address of this machine), and so the
# address the links it and `make seed` print name (127.0.0.1 when HOST is every address).
HOST ?= 127.0.0.1
PORT ?= 8000
SITE_URL := http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

.PHONY: run test quick lint types check pytest fuzz install install-dev lock seed clean system-deps keys \
	e2e e2e-deps screenshots bench bench-deps \
	stack stack-deps stack-stop stack-test load

# Debian packages WeasyPrint (the chronology PDF) and the PDF tests need. Installed when missing
# and we may (root with apt-get, as on CI); otherwise we say what to install.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils

$(BIN)/python:
	@echo "Making a Python environment in $(VENV)/ ..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

# What production installs: requirements.lock alone.
$(RUNTIME_STAMP): requirements.lock | $(BIN)/python
	@echo "Installing the packages Sightline runs on (requirements.lock): a few minutes the first time ..."
	@$(BIN)/pip install --quiet --requirement requirements.lock
	@$(BIN)/pip check
	@touch $@

# What development and CI add: requirements-dev.lock, which includes requirements.lock.
$(DEV_STAMP): requirements-dev.lock requirements.lock | $(BIN)/python
	@echo "Installing those and the development tools (requirements-dev.lock): a few minutes the first time ..."
	@$(BIN)/pip install --quiet --requirement requirements-dev.lock
	@$(BIN)/pip check
	@touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP) system-deps

install-dev: $(DEV_STAMP) system-deps

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "Installing the system packages PDFs need: $$missing ..."; \
			apt-get update -qq && apt-get install -y -qq $$missing; \
		else \
			echo "Please install these system packages for PDFs: $$missing"; \
		fi; \
	fi

# The browser journeys: Debian's Chromium (never a browser Playwright would download) with its
# language packs, so a date field reads 24/11/2026 as on a UK phone; npm for axe-core.
E2E_SYSTEM_PACKAGES := chromium chromium-l10n

e2e-deps:
	@missing=$$(for p in $(E2E_SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
		command -v npm >/dev/null 2>&1 || echo npm); \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq $$missing; \
		else \
			echo "Please install these system packages for the browser tests: $$missing"; exit 1; \
		fi; \
	fi

# axe-core, exactly as package-lock.json pins it, into node_modules/ (git-ignored).
node_modules/.installed: package.json package-lock.json | e2e-deps
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's wrk drives the HTTP load in `make bench` (only the benchmark needs it).
BENCH_PACKAGES := wrk

bench-deps:
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq $$missing; \
		else \
			echo "make bench needs these system packages: $$missing"; exit 1; \
		fi; \
	fi

# A local settings file with a random secret key, made once and never committed.
.env:
	@umask 077; printf '# Local settings for this machine only (made by make; never commit it).\nSECRET_KEY=%s\n' \
		"$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env with a new SECRET_KEY."

# Keys for encryption at rest, written into .env once (an older .env without them gains them).
# Never derived from SECRET_KEY. Back .env up: without these keys the diary cannot be read.
NEW_KEY := $(PYTHON) -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())'
keys: .env
	@if ! grep -q '^ENCRYPTION_KEYS=' .env; then \
		[ -z "$$(tail -c 1 .env)" ] || echo >> .env; \
		echo "ENCRYPTION_KEYS=k1:$$($(NEW_KEY))" >> .env; \
		echo "Wrote ENCRYPTION_KEYS into .env. Back it up: losing it loses the diary (README, Keys)."; \
	fi
	@if ! grep -q '^SEARCH_INDEX_KEY=' .env; then \
		[ -z "$$(tail -c 1 .env)" ] || echo >> .env; \
		echo "SEARCH_INDEX_KEY=$$($(NEW_KEY))" >> .env; \
		echo "Wrote SEARCH_INDEX_KEY into .env."; \
	fi
	@if ! grep -q '^SIGNING_KEYS=' .env; then \
		[ -z "$$(tail -c 1 .env)" ] || echo >> .env; \
		echo "SIGNING_KEYS=s1:$$($(NEW_KEY))" >> .env; \
		echo "Wrote SIGNING_KEYS into .env: the key that signs bundles (README, Keys)."; \
	fi
	@chmod 600 .env  # the keys: readable by this user alone, an older .env too

run: install keys staticfiles/staticfiles.json
	@echo "Migrating the database ..."
	@$(BIN)/python manage.py migrate --noinput
	@echo ""
	@echo "  Sightline is running at $(SITE_URL)/  (press Ctrl+C to stop)"
	@echo ""
	@$(BIN)/python -m project.servers --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Types, checked by mypy with the Django and DRF plugins ([tool.mypy] in pyproject.toml). The
# Django plugin loads the settings, so it needs the keys in .env like the app does.
types: install-dev keys
	$(BIN)/mypy

check: install keys
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

pytest: install-dev keys
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint types check pytest

# The inner loop: lint, then every test not marked slow (those that start servers or manage.py,
# kill them, build large diaries or run the fuzzer: pyproject.toml); `make test` runs them all. The
# fuzzer's file is left out, not only deselected: schemathesis builds its cases while collecting,
# seconds on each worker.
quick: lint keys install-dev
	$(BIN)/pytest -n 2 -m "not slow" --ignore=tests/test_fuzz_api.py $(PYTEST_ARGS)

# The journeys in a real browser against a live server (tests/e2e/), in a pytest process of their
# own. Screenshots go to .e2e/screenshots/; `make screenshots` puts them in docs/screenshots/.
# E2E_PORT=8501 keeps the live server on that port (any free port otherwise).
e2e: install-dev keys e2e-deps node_modules/.installed
	E2E=1 E2E_SCREENSHOTS="$(E2E_SCREENSHOTS)" E2E_PORT="$(E2E_PORT)" \
		$(BIN)/pytest tests/e2e -p no:xdist $(PYTEST_ARGS)

screenshots:
	$(MAKE) e2e E2E_SCREENSHOTS=docs/screenshots

# The API against its OpenAPI schema with many more generated requests than the suite makes
# (FUZZ_EXAMPLES per operation and per side, owner and witness).
FUZZ_EXAMPLES ?= 300
fuzz: install-dev keys
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -n 2 tests/test_fuzz_api.py $(PYTEST_ARGS)

# A demo diary to look around in: sign in as demo@example.com (the password is printed).
seed: install keys
	@echo "Migrating the database ..."
	@$(BIN)/python manage.py migrate --noinput
	@echo "Making the demo diary ..."
	@$(BIN)/python manage.py seed_demo --base-url $(SITE_URL)

# The hashed static files the pages name (as `make run` serves them), rebuilt when they change.
staticfiles/staticfiles.json: requirements.lock $(shell find diary witnesses project -path '*/static/*' -type f) | $(RUNTIME_STAMP) keys
	@echo "Collecting the static files (styles, scripts, icons) into staticfiles/, compressed: up to a minute ..."
	@$(BIN)/python manage.py collectstatic --noinput

# Benchmarks (bench/, docs/performance.md): prints the tables and writes bench/results.json.
bench: install-dev bench-deps keys staticfiles/staticfiles.json
	$(BIN)/python -m bench

# The production profile on this machine, on loopback (stack/, docs/deploy.md): PostgreSQL and
# Redis already running on 127.0.0.1, moto's S3 server, two uvicorn workers and Debian's nginx in
# front, two background workers (db_worker) and tend_jobs. In the foreground until Ctrl+C (or `make stack-stop` from another terminal). Each start
# is fresh: the stack's own database (STACK_DATABASE_URL) and Redis keys are emptied.
STACK_PACKAGES := nginx

stack-deps:
	@missing=$$(for p in $(STACK_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq $$missing; \
		else \
			echo "make stack needs these system packages: $$missing"; exit 1; \
		fi; \
	fi

stack: install-dev keys stack-deps
	$(BIN)/python -m stack serve

stack-stop: install
	$(BIN)/python -m stack stop

# tests/test_stack.py against the running stack, or one started for it and stopped after.
stack-test: install-dev keys stack-deps
	$(BIN)/python -m stack test $(PYTEST_ARGS)

# The load test (stack/load.py): 200 owners, 1,000 contacts, 3 minutes, against the running
# stack or one started for it. LOAD_ARGS="--seconds 30 --owners 20" for a short one.
load: install-dev keys stack-deps
	$(BIN)/python -m stack load $(LOAD_ARGS)

# Regenerate both locks from the ranges in pyproject.toml, in a throwaway venv: requirements.lock
# from `dependencies` alone, then requirements-dev.lock from `dev`, resolved on top of exactly
# those pins (as a constraint), so it holds only what development adds and never a second version
# of a runtime package. `pip check` must pass after each step.
LOCK_VENV := .lock-venv
LOCK_PINS := grep -E '^[A-Za-z].*=='
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
		open('$(LOCK_VENV)/runtime.txt', 'w').write('\n'.join(p['dependencies'])); \
		open('$(LOCK_VENV)/dev.txt', 'w').write('\n'.join(p['optional-dependencies']['dev']))"
	$(LOCK_VENV)/bin/pip install --quiet --requirement $(LOCK_VENV)/runtime.txt
	$(LOCK_VENV)/bin/pip check
	{ echo "# Exact pins for what Sightline runs on: what production installs (\`make run\` installs only these)."; \
	  echo "# Generated by \`make lock\` from pyproject.toml's dependencies; upgrade on purpose."; \
	  $(LOCK_VENV)/bin/pip freeze | $(LOCK_PINS); } > requirements.lock
	$(LOCK_VENV)/bin/pip install --quiet --requirement $(LOCK_VENV)/dev.txt --constraint requirements.lock
	$(LOCK_VENV)/bin/pip check
	{ echo "# Exact pins for what development and CI add (tests, lint, browser journeys, benchmarks, the stack)"; \
	  echo "# on top of requirements.lock, which this file includes. Generated by \`make lock\` from"; \
	  echo "# pyproject.toml's optional-dependencies.dev; upgrade on purpose."; \
	  echo "-r requirements.lock"; \
	  $(LOCK_VENV)/bin/pip freeze | $(LOCK_PINS) | grep -vxF --file requirements.lock; } > requirements-dev.lock
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) staticfiles node_modules .e2e .stack
