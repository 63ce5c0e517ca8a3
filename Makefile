# One entry point for development work. `make run` and `make test` work on a fresh machine with python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= var/ipcockpit.duckdb

.PHONY: install run test lint format bench demo clean

$(STAMP): pyproject.toml scripts/setup_system.sh
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark,train]'
	bash scripts/setup_system.sh
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/ipcockpit ingest data/demo --db $(DB)
	$(BIN)/ipcockpit index --db $(DB)
	$(BIN)/ipcockpit report --plan --db $(DB) > /dev/null

run: demo
	$(BIN)/ipcockpit serve --db $(DB)

test: install
	$(BIN)/ruff check ipcockpit tests bench
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check ipcockpit tests bench

format: install
	$(BIN)/ruff format ipcockpit tests bench

bench: install
	$(BIN)/python bench/ingest_uspto.py

clean:
	rm -rf $(VENV) var .pytest_cache
