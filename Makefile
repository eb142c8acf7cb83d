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
	$(VENV)/bin/lint-imports
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

# Benchmarks (docs/BENCHMARKS.md), not tests. `make bench` (about 5 minutes): bench.wrk in
# quick mode (throughput with wrk, statements counted by PostgreSQL, pgbench's raw SQL beside
# them, on a throw-away cluster of its own), then LOAD_SECONDS of bench.load. `make bench-full`:
# bench.wrk in full mode, the count repair on 1M users (bench.ops), FULL_LOAD_SECONDS of load.
# `make bench-cluster`: bench.cluster (PgBouncer, 1 and 2 app instances, the replica; about
# 5 minutes). Their databases rr_bench_* are on $BENCH_DATABASE_URL's server, their cache
# Redis database 5 ($BENCH_REDIS_URL). ARGS passes options to bench.wrk, e.g.
# ARGS="--compare old=/tmp/old".
BENCH_ENV := DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rr_bench} REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/5}
LOAD_SECONDS ?= 30
FULL_LOAD_SECONDS ?= 60

# The load run: 50 simulated users against gunicorn; reports operations and throughput, fails
# on any 5xx, lost request, unexpected answer or database mismatch (its database <db>_load is
# created and dropped).
bench: venv wrk
	$(BENCH_ENV) $(PY) -m bench.wrk --mode $(if $(MODE),$(MODE),quick) $(ARGS)
	$(BENCH_ENV) $(PY) -m bench.load --users 50 --seconds $(LOAD_SECONDS) --json bench/results/load.json

bench-cluster: venv
	$(BENCH_ENV) $(PY) -m bench.cluster --json bench/results/cluster.json

bench-full: venv wrk
	$(BENCH_ENV) $(PY) -m bench.wrk --mode full $(ARGS)
	$(BENCH_ENV) $(PY) -m bench.ops counts --users 1000000 --per-user 10 > bench/results/counts.json
	$(BENCH_ENV) $(PY) -m bench.load --users 50 --seconds $(FULL_LOAD_SECONDS) --json bench/results/load.json
