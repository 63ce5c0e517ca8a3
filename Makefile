# One entry point for development work. `make run` and `make test` work on a fresh machine with python3.
# Two installs in one venv, each with its own stamp: `make run` / `make demo` install the runtime only (no
# torch, no pyspark, no browser, no Java); `make test` adds the test, spark and train extras and the system
# packages the tests use (scripts/setup_system.sh). Either order works; the test install includes the runtime.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
DB ?= var/ipcockpit.duckdb
PORT ?= 8000
DEMO_INDUSTRIES := nev ngit smart_equipment health
FAST := not browser and not spark and not train and not slow

.PHONY: install install-test run test test-fast lint format bench demo clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml scripts/setup_system.sh | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,spark,train]'
	bash scripts/setup_system.sh
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

demo: $(RUN_STAMP)
	$(BIN)/ipcockpit ingest data/demo --db $(DB)
	$(BIN)/ipcockpit index --db $(DB)
	$(BIN)/ipcockpit graph build --db $(DB) > /dev/null
	$(BIN)/ipcockpit report --plan --db $(DB) > /dev/null
	@# the navigation reports of the plan's four leading industries, once (a later `make demo` keeps their editions)
	for i in $(DEMO_INDUSTRIES); do \
	  $(BIN)/ipcockpit navigate $$i --editions --json --db $(DB) | grep -q '"edition"' || \
	  $(BIN)/ipcockpit navigate $$i --db $(DB) > /dev/null; done

run: demo
	$(BIN)/ipcockpit serve --db $(DB) --port $(PORT)

# two pytest-xdist workers (one per core of the 2-core CI machine; one where there is one core), each module on
# one worker (its module-scoped stores built once), handed out in collection order, the longest modules first
# (tests/conftest.py LONGEST_FIRST); stores several modules share are built once for both (tests/shared_stores.py)
XDIST := -n logical --maxprocesses 2 --dist loadfile --no-loadscope-reorder

test: $(TEST_STAMP)
	$(BIN)/ruff check ipcockpit training tests bench
	$(BIN)/python -m pytest -q $(XDIST)

# the tests without a browser, Spark, torch or long runs: about a minute on a quiet 2-core machine (docs/testing.md)
test-fast: $(TEST_STAMP)
	$(BIN)/ruff check ipcockpit training tests bench
	$(BIN)/python -m pytest -q -m "$(FAST)"

lint: $(TEST_STAMP)
	$(BIN)/ruff check ipcockpit training tests bench

# the code keeps its own hanging-indent style (not ruff format's): apply only ruff's safe fixes (imports ...)
format: $(TEST_STAMP)
	$(BIN)/ruff check --fix ipcockpit training tests bench

bench: $(TEST_STAMP)
	$(BIN)/python bench/ingest_uspto.py

clean:
	rm -rf $(VENV) var .pytest_cache
