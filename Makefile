PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL := $${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rr}
TEST_REDIS_URL := $${REDIS_URL:-redis://127.0.0.1:6379/0}

.PHONY: venv run test test-checks openapi client bench bench-full bench-cluster browser pgbouncer redis wrk screenshots

$(VENV)/.installed: requirements.txt requirements-run.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# What serving needs, and nothing else (make run): the runtime lock plus the embedded
# PostgreSQL wheel (requirements-run.txt); make venv adds the development set.
$(VENV)/.runtime: requirements.txt requirements-run.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-run.txt
	touch $@

# Serves on an embedded PostgreSQL (a pip wheel, data in var/postgres/) unless
# DATABASE_URL says otherwise; see tools/run.py.
# DEMO=1 make run also loads a few demo users, checklists and follows; PORT=8001 serves there.
PORT ?= 8000
run: $(VENV)/.runtime
	@DEBUG=$${DEBUG:-1} $(PY) -m tools.run --address 127.0.0.1:$(PORT)

# The browser tests (tests/browser) drive Debian's Chromium. Installed here when missing and
# this user may install packages; otherwise stop with the one command to run.
CHROMIUM ?= /usr/bin/chromium
APT_GET := apt-get -o DPkg::Lock::Timeout=600
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    $(APT_GET) install -y chromium || { $(APT_GET) update && $(APT_GET) install -y chromium; } || exit 1; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM). Run:  sudo apt-get install -y chromium"; exit 1; \
	  fi; \
	fi

# tests/cluster starts its own PgBouncer (bin/cluster): Debian's, installed here when missing.
PGBOUNCER ?= /usr/sbin/pgbouncer
pgbouncer:
	@if [ ! -x $(PGBOUNCER) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's pgbouncer for the cluster tests"; \
	    $(APT_GET) install -y pgbouncer || { $(APT_GET) update && $(APT_GET) install -y pgbouncer; } || exit 1; \
	  else \
	    echo "The cluster tests need PgBouncer at $(PGBOUNCER). Run:  sudo apt-get install -y pgbouncer"; exit 1; \
	  fi; \
	fi

# make test's Redis when none answers at 127.0.0.1:6379 and REDIS_URL is unset
# (tools/test_services.py starts one): Debian's redis-server, installed here when missing, as above.
REDIS_SERVER ?= /usr/bin/redis-server
redis:
	@if [ ! -x $(REDIS_SERVER) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's redis-server for make test"; \
	    $(APT_GET) install -y redis-server || { $(APT_GET) update && $(APT_GET) install -y redis-server; } || exit 1; \
	  else \
	    echo "make test needs Redis: set REDIS_URL, or run:  sudo apt-get install -y redis-server"; exit 1; \
	  fi; \
	fi

# make bench's load generator (bench/wrk.py, scripts in bench/lua/): Debian's wrk, installed here
# when missing, as above. pgbench and initdb come with PostgreSQL 15 (/usr/lib/postgresql/15/bin).
WRK ?= /usr/bin/wrk
wrk:
	@if [ ! -x $(WRK) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's wrk for make bench"; \
	    $(APT_GET) install -y wrk || { $(APT_GET) update && $(APT_GET) install -y wrk; } || exit 1; \
	  else \
	    echo "make bench needs wrk at $(WRK). Run:  sudo apt-get install -y wrk"; exit 1; \
	  fi; \
	fi

# The typed TypeScript client (clients/typescript): npm ci from the lock file, types
# generated from docs/openapi.yaml, compiled by tsc. Its node_modules also hold openapi-diff,
# the breaking-change check of tests/contract.
CLIENT := clients/typescript
$(CLIENT)/node_modules/.installed: $(CLIENT)/package.json $(CLIENT)/package-lock.json
	cd $(CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

client: $(CLIENT)/node_modules/.installed
	cd $(CLIENT) && npm run --silent generate && npm run --silent build

# Every check, against PostgreSQL (and Redis for the cross-process rate limits):
# DATABASE_URL and REDIS_URL when set, else what answers at the default addresses, else a
# PostgreSQL (the make run wheel's) and a Redis started for the run and stopped after it
# (tools/test_services.py). mypy (pyproject.toml's [tool.mypy]) runs before them: its Django
# plugin imports config.settings, which needs a PostgreSQL DATABASE_URL to load; nothing connects.
test: venv browser pgbouncer redis client
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	RR_ALLOW_INSECURE_KEY=1 DATABASE_URL=$(TEST_DATABASE_URL) $(VENV)/bin/mypy
	$(PY) -m tools.test_services make --no-print-directory test-checks VENV=$(VENV)

# The checks that need the services; make test runs them with DATABASE_URL and REDIS_URL set
# (plain `make` above, not $(MAKE): `make -n test` then lists it instead of running it).
test-checks:
	RR_ALLOW_INSECURE_KEY=1 DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m tools.lint_migrations
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

# The README's pictures (docs/screenshots/, committed: Welcome, Today, History at phone
# size in both colour schemes; tests/browser/test_screenshots.py), and PNGs of every page at
# phone (390x844) and desktop size in both schemes in var/screenshots (not committed).
screenshots: venv browser
	SHOWCASE_DIR=$(CURDIR)/docs/screenshots DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) -m pytest tests/browser/test_screenshots.py
	SCREENSHOTS_DIR=$(CURDIR)/var/screenshots DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) -m pytest tests/browser/test_pages.py -k every_page
	@ls $(CURDIR)/docs/screenshots $(CURDIR)/var/screenshots

# Regenerates the committed contract, docs/openapi.yaml, from the code. Run it after
# changing an endpoint (and after a rebase that brings others' changes): a test fails
# while the served schema and the committed file differ. PostgreSQL's integer ranges
# (the production database's) appear in the schema, hence the DATABASE_URL; nothing connects.
openapi: venv
	RR_ALLOW_INSECURE_KEY=1 DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# Benchmarks (docs/BENCHMARKS.md), not tests: quick mode in under 5 minutes;
# `make bench-full` (or `make bench MODE=full`) for the large sizes. They use their own
# databases rr_bench_* on $BENCH_DATABASE_URL's server (the wrk phase: a throw-away cluster
# of its own) and Redis database 5 ($BENCH_REDIS_URL). ARGS passes options, e.g.
# ARGS="--only app --profile". The cluster figures are `make bench-cluster` (5 minutes more).
BENCH_ENV := DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rr_bench} REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/5}
LOAD_SECONDS ?= 30
FULL_LOAD_SECONDS ?= 60

# The load run (issue 6): 50 simulated users for LOAD_SECONDS (bench-full: FULL_LOAD_SECONDS)
# against gunicorn, within make bench's 5 minutes; reports its
# operations and throughput, fails on any 5xx, lost request or count mismatch (its database
# <db>_load is created and dropped).
bench: venv wrk
	$(PY) -m bench --mode $(if $(MODE),$(MODE),quick) $(ARGS)
	$(BENCH_ENV) $(PY) -m bench.load --users 50 --seconds $(LOAD_SECONDS) --json bench/results/load.json

# Only the cluster figures (issue 15): PgBouncer, two app instances, the replica, pgbench.
bench-cluster: venv
	$(BENCH_ENV) $(PY) -m bench.cluster --json bench/results/cluster.json

bench-full: venv wrk
	$(PY) -m bench --mode full $(ARGS)
	$(BENCH_ENV) $(PY) -m bench.load --users 50 --seconds $(FULL_LOAD_SECONDS) --json bench/results/load.json
